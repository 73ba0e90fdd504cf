"""Labels an agency keeps for its cases (issue 23): the owner of `agency_labels` and
`case_labels`.

The rules, once:
- An agency keeps its own list; its agency admin (or a system admin, for the admin's own
  agency) adds and retires labels (`may_manage`). A name is 1-60 characters, unique in the
  agency regardless of case. A retired label stays on the cases that have it (and can be
  taken off them and filtered by) but cannot be put on a case again.
- A caseworker puts only its own agency's labels, only on a case its agency is on and may
  change (`cases.access`: `CaseNotFound` off the case, `Refused` when assigned elsewhere).
  Each agency on a shared case sees only its own labels.
- Labels hold no personal data: anonymising a case keeps them; deleting a case (or an
  agency) deletes its labels with it (ON DELETE CASCADE).
Every change writes one audit entry here, in the caller's transaction; a no-op writes none.
Framework-free and session-first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import access, audit
from cases.models import AgencyLabel, CaseLabel, Caseworker
from saphan.db import utcnow

#: Roles that keep their agency's list of labels.
LABEL_ADMIN_ROLES = ("agency_admin", "system_admin")
MAX_NAME = 60
_SPACES = re.compile(r"\s+")


class LabelError(ValueError):
    """A refused label change; `reason` names the catalogue text `labels_error_<reason>`."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # name_empty | name_long | name_taken | not_found | retired |
        # not_permitted


class LabelNotFound(LabelError):
    """No such label in the account's agency (another agency's label is "not found" too)."""

    def __init__(self, label_id: int) -> None:
        super().__init__(f"label {label_id} does not exist", "not_found")


def may_manage(worker: Caseworker) -> bool:
    """The one rule for keeping the list: an agency or system admin with an agency."""
    return worker.role in LABEL_ADMIN_ROLES and worker.agency_id is not None


def _require_manager(worker: Caseworker) -> int:
    if not may_manage(worker):
        raise LabelError("only an agency admin keeps the agency's labels", "not_permitted")
    return int(worker.agency_id or 0)


def clean_name(name: str) -> str:
    """The name as stored (spaces collapsed), or `LabelError`."""
    cleaned = _SPACES.sub(" ", name).strip()
    if not cleaned or not cleaned.isprintable():
        raise LabelError("give the label a name", "name_empty")
    if len(cleaned) > MAX_NAME:
        raise LabelError(f"a label name has at most {MAX_NAME} characters", "name_long")
    return cleaned


# -- the agency's list ------------------------------------------------------------------------
def agency_labels(session: Session, agency_id: int | None,
                  active_only: bool = True) -> list[AgencyLabel]:
    """The agency's labels by name (retired ones too unless `active_only`)."""
    if agency_id is None:
        return []
    stmt = select(AgencyLabel).where(AgencyLabel.agency_id == agency_id)
    if active_only:
        stmt = stmt.where(AgencyLabel.retired_at.is_(None))
    return sorted(session.scalars(stmt), key=lambda row: (row.name.casefold(), row.id))


def label_of(session: Session, agency_id: int | None, label_id: int) -> AgencyLabel:
    """The agency's label `label_id` (retired or not), else `LabelNotFound`."""
    row = session.get(AgencyLabel, label_id)
    if row is None or agency_id is None or row.agency_id != agency_id:
        raise LabelNotFound(label_id)
    return row


def create(session: Session, worker: Caseworker, name: str) -> AgencyLabel:
    """A new label of the admin's agency; `LabelError` for a bad or taken name."""
    agency_id = _require_manager(worker)
    cleaned = clean_name(name)
    taken = {row.name.casefold() for row in agency_labels(session, agency_id, False)}
    if cleaned.casefold() in taken:
        raise LabelError(f"the agency has a label {cleaned!r} already", "name_taken")
    row = AgencyLabel(agency_id=agency_id, name=cleaned, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, worker.username, "label_created", detail=f"label {row.id}")
    return row


def retire(session: Session, worker: Caseworker, label_id: int) -> bool:
    """Retire one of the admin's agency's labels; False when it was retired already."""
    row = label_of(session, _require_manager(worker), label_id)
    if row.retired_at is not None:
        return False
    row.retired_at = utcnow()
    audit.record(session, worker.username, "label_retired", detail=f"label {row.id}")
    return True


# -- on cases ----------------------------------------------------------------------------------
def _changeable(session: Session, worker: Caseworker, case_id: int,
                label_id: int) -> AgencyLabel:
    """The worker's agency's label, once the worker may change the case (`cases.access`)."""
    access.case_view(session, worker, case_id).require_change()
    return label_of(session, worker.agency_id, label_id)


def add_to_case(session: Session, worker: Caseworker, case_id: int, label_id: int) -> bool:
    """Put one of the worker's agency's active labels on a case; False if it was there."""
    label = _changeable(session, worker, case_id, label_id)
    if session.get(CaseLabel, (case_id, label_id)) is not None:
        return False
    if label.retired_at is not None:
        raise LabelError(f"label {label_id} is retired", "retired")
    session.add(CaseLabel(case_id=case_id, label_id=label_id, added_by=worker.id,
                          added_at=utcnow()))
    session.flush()
    audit.record(session, worker.username, "label_added", case_id, f"label {label_id}")
    return True


def remove_from_case(session: Session, worker: Caseworker, case_id: int,
                     label_id: int) -> bool:
    """Take one of the worker's agency's labels off a case; False if it was not there."""
    _changeable(session, worker, case_id, label_id)
    row = session.get(CaseLabel, (case_id, label_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    audit.record(session, worker.username, "label_removed", case_id, f"label {label_id}")
    return True


def labels_by_case(session: Session, agency_id: int | None,
                   case_ids: Iterable[int]) -> dict[int, list[AgencyLabel]]:
    """The agency's own labels on each case (by name; one query for the whole queue)."""
    ids = list(case_ids)
    found: dict[int, list[AgencyLabel]] = {case_id: [] for case_id in ids}
    if agency_id is None or not ids:
        return found
    rows = session.execute(
        select(CaseLabel.case_id, AgencyLabel).join(AgencyLabel,
                                                    AgencyLabel.id == CaseLabel.label_id)
        .where(AgencyLabel.agency_id == agency_id, CaseLabel.case_id.in_(ids))).tuples()
    for case_id, label in rows:
        found[case_id].append(label)
    for labels in found.values():
        labels.sort(key=lambda row: (row.name.casefold(), row.id))
    return found


def case_labels(session: Session, agency_id: int | None, case_id: int) -> list[AgencyLabel]:
    """The agency's own labels on one case."""
    return labels_by_case(session, agency_id, [case_id])[case_id]
