"""Limits on caseworker LINE notifications, shared by every gateway replica (the one writer of
`case_notification_windows`).

A flood of escalations (many people, or one person again and again) must not turn the phones
of the people on duty into noise. Each notification takes one slot of its person's window and
one of the global window (fixed windows of `case_notify_window_s`); when either is full the
notification is held: the case is still in the dashboard queue, nothing is lost. The first
notification held by the global limit in a window raises the alert (one wide message). The
counters are conditional UPDATEs, atomic on SQLite and PostgreSQL alike, so two replicas can
never both take the last slot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.models import NotificationWindow
from saphan.db import utcnow

GLOBAL = "global"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: str | None  # "person" | "global" when held
    alert: bool  # the first notification the global limit held in this window
    window_start: datetime


def window_start(now: datetime, window_s: float) -> datetime:
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % window_s, UTC)


def person_scope(conversation_id: str) -> str:
    """A person's scope: a hash, so this table links to no conversation by itself."""
    return "person:" + hashlib.sha256(conversation_id.encode()).hexdigest()[:32]


def _ensure(session: Session, scope: str, start: datetime) -> None:
    exists = session.scalar(select(NotificationWindow.id).where(
        NotificationWindow.scope == scope, NotificationWindow.window_start == start))
    if exists is None:
        try:
            with session.begin_nested():
                session.add(NotificationWindow(scope=scope, window_start=start, sent=0, held=0))
        except IntegrityError:  # another replica created it first
            pass


def _bump(session: Session, scope: str, start: datetime, column: str, delta: int = 1,
          below: int | None = None) -> bool:
    where = [NotificationWindow.scope == scope, NotificationWindow.window_start == start]
    target = getattr(NotificationWindow, column)
    if below is not None:
        where.append(target < below)
    done = session.execute(update(NotificationWindow).where(*where)
                           .values({column: target + delta})).rowcount
    return bool(done)


def take(session: Session, conversation_id: str, *, person_max: int, global_max: int,
         window_s: float, now: datetime | None = None) -> Decision:
    """Take a slot for one notification about `conversation_id`'s case, or record it held."""
    start = window_start(now or utcnow(), window_s)
    person = person_scope(conversation_id)
    _ensure(session, GLOBAL, start)
    _ensure(session, person, start)
    if not _bump(session, person, start, "sent", below=person_max):
        _bump(session, person, start, "held")
        return Decision(False, "person", False, start)
    if not _bump(session, GLOBAL, start, "sent", below=global_max):
        _bump(session, person, start, "sent", delta=-1)  # the person's slot was not used
        first = _bump(session, GLOBAL, start, "held", below=1)
        if not first:
            _bump(session, GLOBAL, start, "held")
        return Decision(False, "global", first, start)
    return Decision(True, None, False, start)


def held_now(session: Session, window_s: float, now: datetime | None = None) -> int:
    """Notifications the global limit holds in the current window (0: none; for a banner)."""
    start = window_start(now or utcnow(), window_s)
    return session.scalar(select(NotificationWindow.held).where(
        NotificationWindow.scope == GLOBAL, NotificationWindow.window_start == start)) or 0


def held_total(session: Session) -> int:
    """Notifications held in every window still stored (person and global limits)."""
    return int(session.scalar(select(func.coalesce(func.sum(NotificationWindow.held), 0))) or 0)


def purge_before(session: Session, cutoff: datetime) -> dict[str, int]:
    """Retention: windows that started before `cutoff` are of no more use."""
    done = session.execute(delete(NotificationWindow)
                           .where(NotificationWindow.window_start < cutoff)).rowcount
    return {"notification_windows_deleted": int(done or 0)}
