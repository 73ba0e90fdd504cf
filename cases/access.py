"""Who may see and change which case: the one place for case-level access (issue 17).

The rules, once:
- An agency *is on* a case when it owns it (`Case.agency_id`) or has a `CaseAccess` row
  (granted only by accepting a referral, `cases.referrals`). Any other account gets "no such
  case" (`service.CaseNotFound`): it must not learn that the case exists.
- The owner sees everything. A shared agency sees the case summary line (id, priority,
  status, source, language, NRM stage and timeline; province only with "location") and
  exactly its `CaseAccess.shares` (`cases.vocab.SHARE_ITEMS`): "conversation" (transcript,
  live messages, replying to the person), "screening", "notes" (notes of visibility "case"),
  "location" (province, address, map), "summary" (the referral's summary for the receiver).
  Nobody sees another agency's notes of visibility "agency".
- Changes: a caseworker changes a case only while its agency's assignee (`Case.assignee_id`
  for the owner, `CaseAccess.assignee_id` for a shared agency) is nobody or itself; a
  supervisor, agency admin or system admin changes every case its agency is on. A system
  admin does not see other agencies' cases. Status, close, claim, assignment, hand-off and
  legal hold belong to the owning agency (`CaseView.require_owner`).

Framework-free and session-first; the dashboard maps `CaseNotFound` to 404 and `Refused`
to 403 (`dashboard.deps`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from cases import service
from cases.models import Case, CaseAccess, CaseNote, Caseworker
from cases.vocab import OPEN_STATUSES, SHARE_ITEMS

#: Roles that see and change every case their agency is on (and assign within the agency).
SUPERVISING_ROLES = ("supervisor", "agency_admin", "system_admin")
ALL_SHARES = frozenset(SHARE_ITEMS)


class Refused(PermissionError):
    """The account is on the case but may not see or do this (message says why, in English
    for logs and API clients; `reason` and `item` let the dashboard say it in its language)."""

    def __init__(self, message: str, reason: str, item: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # not_shared | assigned_elsewhere | owner_only | supervisor_only
        self.item = item


class NotShared(Refused):
    """The case was not shared with the viewer's agency for this item."""


class NotYours(Refused):
    """Another caseworker has the case, or only the owning agency may do this."""


@dataclass(frozen=True)
class CaseView:
    """What one account may see and do on one case."""

    case: Case
    agency_id: int  # the viewer's agency
    owner: bool
    shares: frozenset[str]  # SHARE_ITEMS the viewer sees (all for the owner)
    can_change: bool  # the role/assignee rule
    assignee_id: int | None = None  # the viewer agency's caseworker on the case
    supervising: bool = False  # the viewer's role sees and assigns all the agency's cases

    def sees(self, item: str) -> bool:
        return item in self.shares

    def require(self, item: str) -> None:
        if not self.sees(item):
            raise NotShared(f"case {self.case.id}: the {item} was not shared with your agency",
                            "not_shared", item)

    def require_change(self) -> None:
        if not self.can_change:
            raise NotYours(f"case {self.case.id} is assigned to another caseworker; "
                           "ask them or a supervisor", "assigned_elsewhere")

    def require_owner(self) -> None:
        self.require_change()
        if not self.owner:
            raise NotYours(f"case {self.case.id}: only the owning agency can do this",
                           "owner_only")

    def require_owner_supervisor(self) -> None:
        """Assigning and legal hold: a supervisor (or admin) of the owning agency."""
        self.require_owner()
        if not self.supervising:
            raise NotYours(f"case {self.case.id}: only a supervisor of the owning agency "
                           "can do this", "supervisor_only")


def shares_on(session: Session, agency_id: int | None, case: Case,
              ) -> tuple[frozenset[str], int | None] | None:
    """(what the agency sees, its assignee) on the case; None when the agency is not on it."""
    if agency_id is None:
        return None
    if case.agency_id == agency_id:
        return ALL_SHARES, case.assignee_id
    access = session.execute(select(CaseAccess).where(
        CaseAccess.case_id == case.id, CaseAccess.agency_id == agency_id)).scalar_one_or_none()
    if access is None:
        return None
    return frozenset(access.shares or ()) & ALL_SHARES, access.assignee_id


def _view(case: Case, worker: Caseworker, shares: frozenset[str],
          assignee_id: int | None) -> CaseView:
    supervising = worker.role in SUPERVISING_ROLES
    return CaseView(case=case, agency_id=int(worker.agency_id or 0),
                    owner=case.agency_id == worker.agency_id, shares=shares,
                    can_change=supervising or assignee_id in (None, worker.id),
                    assignee_id=assignee_id, supervising=supervising)


def case_view(session: Session, worker: Caseworker, case_id: int) -> CaseView:
    """The worker's view of the case; `service.CaseNotFound` when its agency is not on it."""
    case = service.get_case(session, case_id)
    found = shares_on(session, worker.agency_id, case)
    if found is None:
        raise service.CaseNotFound(f"case {case_id} does not exist")
    return _view(case, worker, *found)


def _on_agency(agency_id: int | None) -> ColumnElement[bool]:
    shared = select(CaseAccess.case_id).where(CaseAccess.agency_id == agency_id)
    return or_(Case.agency_id == agency_id, Case.id.in_(shared))


def visible_case_ids(session: Session, worker: Caseworker) -> set[int]:
    """Every case (open or closed) the worker's agency is on."""
    if worker.agency_id is None:
        return set()
    return set(session.scalars(select(Case.id).where(_on_agency(worker.agency_id))))


def visible_notes(session: Session, view: CaseView) -> list[CaseNote]:
    """The viewer agency's own notes, and notes of visibility "case" when notes are shared."""
    return [note for note in service.notes(session, view.case.id)
            if note.agency_id == view.agency_id
            or (note.visibility == "case" and view.sees("notes"))]


def agencies_on(session: Session, case_id: int) -> list[int]:
    """The ids of the agencies on the case, the owner first."""
    case = service.get_case(session, case_id)
    shared = session.scalars(select(CaseAccess.agency_id).where(CaseAccess.case_id == case_id)
                             .order_by(CaseAccess.id))
    owner = [case.agency_id] if case.agency_id is not None else []
    return owner + [a for a in shared if a != case.agency_id]


@dataclass(frozen=True)
class QueueSql:
    """The open cases an agency is on, as SQL for the queue to filter, order and cut before
    reading any row (`dashboard.timing.queue`)."""

    where: ColumnElement[bool]  # open, and owned by the agency or shared with it
    assignee: ColumnElement[int | None]  # the viewer agency's assignee of each case


def queue_sql(worker: Caseworker) -> QueueSql | None:
    """`QueueSql` of the worker's agency (None: the worker has no agency, so no queue)."""
    agency_id = worker.agency_id
    if agency_id is None:
        return None
    shared = select(CaseAccess.assignee_id).where(CaseAccess.case_id == Case.id,
                                                  CaseAccess.agency_id == agency_id)
    return QueueSql(and_(Case.status.in_(OPEN_STATUSES), _on_agency(agency_id)),
                    sql_case((Case.agency_id == agency_id, Case.assignee_id),
                             else_=shared.scalar_subquery()))


def views_of(session: Session, worker: Caseworker, case_ids: list[int]) -> list[CaseView]:
    """The worker's views of the cases `case_ids` (in that order; those its agency is not on
    are left out): two queries, not one per case."""
    if not case_ids or worker.agency_id is None:
        return []
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    shared = {a.case_id: a for a in session.scalars(select(CaseAccess).where(
        CaseAccess.agency_id == worker.agency_id, CaseAccess.case_id.in_(case_ids)))}
    views = []
    for case in (cases[i] for i in case_ids if i in cases):
        access = shared.get(case.id)
        if case.agency_id == worker.agency_id:
            views.append(_view(case, worker, ALL_SHARES, case.assignee_id))
        elif access is not None:
            views.append(_view(case, worker, frozenset(access.shares or ()) & ALL_SHARES,
                               access.assignee_id))
    return views


def live_shares(session: Session, agency_id: int | None, case_id: int) -> frozenset[str] | None:
    """What the agency sees of the case (None: not on it, or no such case); for live events,
    decided when each is sent."""
    case = session.get(Case, case_id)
    found = shares_on(session, agency_id, case) if case is not None else None
    return None if found is None else found[0]
