"""The outbox: every batch of messages is recorded (with its retry key) before it is sent."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from gateway.inbox import utcnow
from gateway.models import InboxEvent, OutboxMessage
from saphan.db import session_scope


@dataclass(frozen=True)
class Outgoing:
    id: int
    kind: str
    retry_key: str
    messages: list[dict]
    sent: bool


def _snapshot(row: OutboxMessage) -> Outgoing:
    return Outgoing(row.id, row.kind, row.retry_key, json.loads(row.messages),
                    row.sent_at is not None)


def record(event_id: int | None, channel: str, line_user_id: str, kind: str,
           batches: list[list[dict]]) -> list[Outgoing]:
    """Store the batches (unsent) in one transaction."""
    with session_scope() as session:
        rows = [
            OutboxMessage(inbox_event_id=event_id, channel=channel, line_user_id=line_user_id,
                          retry_key=str(uuid.uuid4()), kind=kind,
                          messages=json.dumps(batch, ensure_ascii=False), created_at=utcnow())
            for batch in batches
        ]
        session.add_all(rows)
        session.flush()
        return [_snapshot(r) for r in rows]


def for_event(event_id: int) -> list[Outgoing]:
    with session_scope() as session:
        rows = session.execute(select(OutboxMessage).where(OutboxMessage.inbox_event_id == event_id)
                               .order_by(OutboxMessage.id)).scalars()
        return [_snapshot(r) for r in rows]


def mark_sent(outbox_id: int, method: str, used_reply_token_of: int | None = None) -> None:
    """Record the batch as sent; with `used_reply_token_of`, also that event's reply token."""
    with session_scope() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                        .values(method=method, sent_at=utcnow()))
        if used_reply_token_of is not None:
            session.execute(update(InboxEvent).where(InboxEvent.id == used_reply_token_of)
                            .values(reply_token_used=True))


def sent_to(channel: str, line_user_id: str, after_id: int = 0) -> list[tuple[int, list[dict]]]:
    """Sent batches for a user after `after_id` (the simulator page polls this)."""
    with session_scope() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.messages)
            .where(OutboxMessage.channel == channel, OutboxMessage.line_user_id == line_user_id,
                   OutboxMessage.id > after_id, OutboxMessage.sent_at.is_not(None))
            .order_by(OutboxMessage.id)
        ).all()
    return [(row_id, json.loads(messages)) for row_id, messages in rows]
