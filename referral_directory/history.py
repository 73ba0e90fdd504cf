"""The change history of directory services (owner of `directory_service_changes`): who changed
which fields of a service, when, from what to what. Only directory facts are recorded (the
fields of `records.ServiceRecord`, never anything about a person); the dashboard shows a
service's history on its page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_directory.models import Service, ServiceChange
from referral_directory.records import ServiceRecord
from saphan.db import utcnow

#: What happened to a service (the dashboard names each with `dir_action_<action>`).
ACTIONS = ("created", "edited", "verified", "retired", "restored")
MAX_NOTE = 300

Change = dict[str, str]  # {"field": ..., "old": ..., "new": ...}


def shown(value: Any) -> str:
    """A field value as recorded: lists joined with '; ', dates ISO, booleans true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def diff(before: ServiceRecord | None, after: ServiceRecord) -> list[Change]:
    """The fields that differ between two versions of a record (all set fields when new)."""
    old = before.model_dump() if before is not None else {}
    changes = []
    for name, value in after.model_dump().items():
        was, now = shown(old.get(name)), shown(value)
        if was != now:
            changes.append({"field": name, "old": was, "new": now})
    return changes


def record(session: Session, service_id: int, username: str, action: str,
           changes: Iterable[Change] = (), note: str | None = None) -> ServiceChange:
    """One history entry in the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown directory action {action!r}")
    note = " ".join((note or "").split())[:MAX_NOTE] or None
    row = ServiceChange(service_id=service_id, username=username, action=action,
                        changes=list(changes), note=note, at=utcnow())
    session.add(row)
    return row


def changes_of(session: Session, service_id: int) -> list[ServiceChange]:
    """A service's history, newest first."""
    stmt = (select(ServiceChange).where(ServiceChange.service_id == service_id)
            .order_by(ServiceChange.at.desc(), ServiceChange.id.desc()))
    return list(session.scalars(stmt))


def kept_in_dashboard(session: Session, external_ids: Iterable[str]) -> set[str]:
    """Those of the services that were changed by people (any history): the bundled loader
    leaves them as the agency keeps them."""
    wanted = list(set(external_ids))
    if not wanted:
        return set()
    stmt = (select(Service.external_id).join(ServiceChange, ServiceChange.service_id == Service.id)
            .where(Service.external_id.in_(wanted)).distinct())
    return set(session.scalars(stmt))
