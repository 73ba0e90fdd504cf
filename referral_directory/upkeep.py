"""Keeping the directory current (issue 20 pt 6): add, edit, mark verified, retire and bring
back a service, each written with its history entry (`history`) in the caller's transaction.
Input is a `records.ServiceRecord` (the validation every caller shares: files, API, dashboard).
Who may change which service is the caller's decision (the dashboard: an agency's own
services); these functions keep the rules of the data: the external id never changes, samples
are never stored or changed in production, verification is set only by `verify` (an edit keeps
it), a retired service is kept (no delete) and hidden from every search."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from referral_directory import history, store
from referral_directory.history import Change
from referral_directory.models import Service
from referral_directory.records import ServiceRecord
from referral_directory.samples import SamplesNotAllowedError, samples_allowed
from referral_directory.staleness import today


class UpkeepError(ValueError):
    """A change the directory refuses; the message names the field (safe to show)."""


def _refuse_sample(service: Service) -> None:
    if service.sample and not samples_allowed():
        raise UpkeepError("sample: sample entries are never changed in production "
                          "(remove them: saphan directory remove-samples)")


def _store(session: Session, record: ServiceRecord) -> None:
    try:
        store.upsert_records(session, [record])
    except SamplesNotAllowedError as exc:
        raise UpkeepError(f"sample: {exc}") from None


def add(session: Session, record: ServiceRecord, username: str) -> Service:
    """A new service (history: created, with every field given)."""
    if store.by_external_id(session, record.id) is not None:
        raise UpkeepError(f"id: a service with id {record.id!r} exists already")
    _store(session, record)
    service = store.by_external_id(session, record.id)
    assert service is not None
    history.record(session, service.id, username, "created", history.diff(None, record))
    return service


def edit(session: Session, service: Service, record: ServiceRecord, username: str, *,
         replace_verification: bool = False) -> list[Change]:
    """Replace the service's fields with `record`; returns the changed fields (none: nothing
    is written). `last_verified` stays as it is (only `verify` sets it) unless
    `replace_verification` (the API's full replace, like an import)."""
    _refuse_sample(service)
    if record.id != service.external_id:
        raise UpkeepError(f"id: the id of a service never changes ({service.external_id!r})")
    before = store.to_record(service)
    if not replace_verification:
        record = record.model_copy(update={"last_verified": before.last_verified})
    changes = history.diff(before, record)
    if not changes:
        return []
    _store(session, record)
    session.refresh(service)
    history.record(session, service.id, username, "edited", changes)
    return changes


def verify(session: Session, service: Service, username: str, how: str | None = None,
           day: date | None = None) -> None:
    """Someone checked the service's facts today (`how`: phoned, visited...)."""
    _refuse_sample(service)
    day = day or today()
    changes = [{"field": "last_verified", "old": history.shown(service.last_verified),
                "new": day.isoformat()},
               {"field": "verified_by", "old": service.verified_by or "", "new": username}]
    store.mark_verified(session, service, username, day)
    history.record(session, service.id, username, "verified", changes, how)


def retire(session: Session, service: Service, username: str, note: str | None = None,
           day: date | None = None) -> None:
    """The service no longer exists or no longer takes people: hidden, kept with its history."""
    _refuse_sample(service)
    if service.retired_on is not None:
        raise UpkeepError("retired_on: the service is retired already")
    day = day or today()
    store.set_retired(session, service, day)
    history.record(session, service.id, username, "retired",
                   [{"field": "retired_on", "old": "", "new": day.isoformat()}], note)


def restore(session: Session, service: Service, username: str, note: str | None = None) -> None:
    """Bring a retired service back into searches."""
    _refuse_sample(service)
    if service.retired_on is None:
        raise UpkeepError("retired_on: the service is not retired")
    old = service.retired_on.isoformat()
    store.set_retired(session, service, None)
    history.record(session, service.id, username, "restored",
                   [{"field": "retired_on", "old": old, "new": ""}], note)
