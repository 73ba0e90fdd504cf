"""One conversational turn through the real gateway, as gateway-level tests drive it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from gateway.models import InboxEvent
from saphan.db import make_engine
from testsupport.fake_line import FakeLine


def inbox_settled(database_url: str, line_user_id: str) -> bool:
    """True when every inbox event of the user is finished (done or failed)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            statuses = conn.execute(select(InboxEvent.status)
                                    .where(InboxEvent.line_user_id == line_user_id)).scalars().all()
    finally:
        engine.dispose()
    return all(s in ("done", "failed") for s in statuses)


def turn(line: FakeLine, database_url: str, user: str, send: Callable[[], None],
         timeout: float = 60.0) -> list[dict]:
    """Run `send`, then return the messages the user receives until the inbox settles."""
    before = len(line.messages_to(user))
    send()
    line.wait_for(lambda: len(line.messages_to(user)) > before, timeout=timeout)
    line.wait_for(lambda: inbox_settled(database_url, user), timeout=timeout)
    return [m for _, m in line.messages_to(user)[before:]]
