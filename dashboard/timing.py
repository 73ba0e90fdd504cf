"""Response times on the queue and the case page: how long a case has waited, the time to its
first caseworker reply against the target for its priority (`Settings.case_sla_s`), overdue
cases first, and the queue filters ("my cases", "unclaimed", "waiting for the person")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, literal, not_, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from cases import access, service
from cases.access import CaseView
from cases.models import Case, CaseLabel, Caseworker
from cases.vocab import CLOSED_STATUSES, PRIORITIES
from saphan.db import utcnow

#: Queue filters (`?show=`), texts `filter_<id>`; "all" is the default.
FILTERS = ("all", "mine", "unclaimed", "waiting_person")


@dataclass(frozen=True)
class Timing:
    """One case's clock: seconds waited (to the first reply, or till now while unanswered),
    the target, and whether it is missed."""

    waited_s: float
    target_s: float
    first_reply_at: datetime | None
    last_sender: str | None

    @property
    def answered(self) -> bool:
        return self.first_reply_at is not None

    @property
    def overdue(self) -> bool:
        return self.waited_s > self.target_s

    @property
    def waiting_for_person(self) -> bool:
        """A caseworker wrote last: the person's answer is awaited."""
        return self.last_sender == "caseworker"


def timings(session: Session, cases: list, targets: Mapping[str, float],
            now: datetime | None = None) -> dict[int, Timing]:
    """`Timing` of each case (closed cases stop their clock when closed)."""
    now = now or utcnow()
    found = service.exchanges(session, [c.id for c in cases])
    result = {}
    for case in cases:
        exchange = found[case.id]
        end = exchange.first_reply_at or (case.closed_at if case.status in CLOSED_STATUSES
                                          else None) or now
        result[case.id] = Timing(max(0.0, (end - case.created_at).total_seconds()),
                                 targets.get(case.priority, targets.get("normal", 3600.0)),
                                 exchange.first_reply_at, exchange.last_sender)
    return result


def duration(seconds: float, texts: Mapping[str, str]) -> str:
    """"3 min", "2 h 5 min", "4 d 2 h" in the interface language."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return texts["dur_min"].format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return texts["dur_h_min"].format(h=hours, n=minutes)
    days, hours = divmod(hours, 24)
    return texts["dur_d_h"].format(d=days, h=hours)


@dataclass(frozen=True)
class QueuePage:
    """The first rows of the queue under a filter, and how many cases match in all."""

    views: list[CaseView]
    total: int


def late_sql(targets: Mapping[str, float], now: datetime) -> ColumnElement[bool]:
    """SQL twin of `Timing.overdue and not Timing.answered` for an open case at `now`:
    unanswered and waited longer than its priority's target (as `timings` reads them)."""
    default = targets.get("normal", 3600.0)
    waited_past = or_(*(and_(Case.priority == priority,
                             Case.created_at < now - timedelta(seconds=targets.get(priority,
                                                                                   default)))
                        for priority in PRIORITIES))
    return and_(waited_past, not_(service.answered_sql()))


def queue(session: Session, worker: Caseworker, targets: Mapping[str, float],
          show: str = "all", label_id: int | None = None, limit: int = 100,
          now: datetime | None = None) -> QueuePage:
    """The open cases the worker's agency is on under filter `show` (`FILTERS`) and label
    `label_id` (None: any), overdue unanswered cases first, then by priority, then the
    longest waiting: filtered, ordered, counted and cut to `limit` in one SQL query of ids,
    then only those cases are read, so a page costs about the same with 100 or 10,000 open
    cases (benchmarks/growth.md)."""
    found = access.queue_sql(worker)
    if found is None:
        return QueuePage([], 0)
    where = [found.where]
    if show == "mine":
        where.append(found.assignee == worker.id)
    elif show == "unclaimed":
        where.append(found.assignee.is_(None))
    elif show == "waiting_person":
        where.append(service.last_sender_sql() == "caseworker")
    if label_id is not None:  # OR false: a hashed subplan on PostgreSQL, never a nested loop
        labelled = select(CaseLabel.case_id).where(CaseLabel.label_id == label_id)
        where.append(or_(Case.id.in_(labelled), literal(False)))
    late = sql_case((late_sql(targets, now or utcnow()), 0), else_=1)
    rank = sql_case({p: i for i, p in enumerate(PRIORITIES)}, value=Case.priority,
                    else_=len(PRIORITIES))
    rows = session.execute(select(Case.id, func.count().over()).where(*where)
                           .order_by(late, rank, Case.created_at, Case.id).limit(limit)).all()
    return QueuePage(access.views_of(session, worker, [row[0] for row in rows]),
                     rows[0][1] if rows else 0)
