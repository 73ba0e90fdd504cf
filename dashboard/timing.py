"""Response times on the queue and the case page: how long a case has waited, the time to its
first caseworker reply against the target for its priority (`Settings.case_sla_s`), overdue
cases first, and the queue filters ("my cases", "unclaimed", "waiting for the person")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cases import service
from cases.access import CaseView
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


def shown(views: list[CaseView], clocks: Mapping[int, Timing], show: str,
          worker_id: int) -> list[CaseView]:
    """The queue under filter `show`, overdue unanswered cases first, then by priority, then
    the longest waiting."""
    def keep(view: CaseView) -> bool:
        if show == "mine":
            return view.assignee_id == worker_id
        if show == "unclaimed":
            return view.assignee_id is None
        if show == "waiting_person":
            return clocks[view.case.id].waiting_for_person
        return True

    def order(view: CaseView) -> tuple[int, int, datetime, int]:
        clock = clocks[view.case.id]
        late = 0 if clock.overdue and not clock.answered else 1
        return late, PRIORITIES.index(view.case.priority), view.case.created_at, view.case.id

    return sorted((v for v in views if keep(v)), key=order)
