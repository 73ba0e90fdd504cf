"""The outbox: every batch of messages is recorded (with its retry key) before it is sent.
The one writer of `outbox_messages`; functions run on the caller's session.

`method` says how a batch went: reply | push | simulator once sent (`sent_at` set); while
unsent, `HELD` means its push waits for LINE's monthly quota (`gateway.push_hold`) and
`REFUSED` that LINE refused that held push for good."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from gateway import users
from gateway.models import PENDING, PROCESSING, InboxEvent, OutboxMessage
from saphan.db import UTCDateTime, utcnow

HELD = "held"
REFUSED = "refused"


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


#: The hot path's statements, built once (see `gateway.inbox._Statements` for why).
_RECORD = insert(OutboxMessage).returning(OutboxMessage.id)
_MARK_SENT = (update(OutboxMessage).where(OutboxMessage.id == bindparam("id_"))
              .values(method=bindparam("method_"),
                      sent_at=bindparam("now_", type_=UTCDateTime())))


def record(session: Session, event_id: int | None, channel: str, line_user_id: str, kind: str,
           batches: list[list[dict]]) -> list[Outgoing]:
    """Store the batches (unsent); one INSERT each, no ORM unit of work."""
    recorded = []
    db = session.connection()
    for batch in batches:
        retry_key = str(uuid.uuid4())
        row_id = db.execute(_RECORD, {
            "inbox_event_id": event_id, "channel": channel, "line_user_id": line_user_id,
            "retry_key": retry_key, "kind": kind,
            "messages": json.dumps(batch, ensure_ascii=False), "created_at": utcnow(),
        }).scalar_one()
        recorded.append(Outgoing(row_id, kind, retry_key, batch, False))
    return recorded


def for_event(session: Session, event_id: int) -> list[Outgoing]:
    rows = session.execute(select(OutboxMessage).where(OutboxMessage.inbox_event_id == event_id)
                           .order_by(OutboxMessage.id)).scalars()
    return [_snapshot(r) for r in rows]


def mark_sent(session: Session, outbox_id: int, method: str) -> None:
    """Record the batch as sent (`method`: reply | push | simulator)."""
    session.connection().execute(_MARK_SENT, {"id_": outbox_id, "method_": method,
                                              "now_": utcnow()})


def mark_held(session: Session, outbox_id: int) -> None:
    """Keep the batch for a later push: the channel's monthly quota is used up."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id,
                                                OutboxMessage.sent_at.is_(None))
                    .values(method=HELD))


def mark_refused(session: Session, outbox_id: int) -> None:
    """A held batch LINE refused for good when it was pushed at last (never tried again)."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id)
                    .values(method=REFUSED))


def held(session: Session, channel: str, limit: int = 50) -> list[tuple[int, str, Outgoing]]:
    """The channel's held batches, oldest first, as (id, LINE user id, batch)."""
    rows = session.execute(
        select(OutboxMessage).where(OutboxMessage.channel == channel,
                                    OutboxMessage.method == HELD,
                                    OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id).limit(limit)).scalars()
    return [(row.id, row.line_user_id, _snapshot(row)) for row in rows]


def sent_to(session: Session, channel: str, line_user_id: str,
            after_id: int = 0) -> list[tuple[int, list[dict]]]:
    """Sent batches for a user after `after_id` (the simulator page polls this)."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.messages)
        .where(OutboxMessage.channel == channel, OutboxMessage.line_user_id == line_user_id,
               OutboxMessage.id > after_id, OutboxMessage.sent_at.is_not(None))
        .order_by(OutboxMessage.id)
    ).all()
    return [(row_id, json.loads(messages)) for row_id, messages in rows]


def erase_event(session: Session, event_id: int) -> int:
    """Delete the batches answering one inbox event (that event was erased while being
    answered). Simulator batches stay: the local chat page still has to show them and they
    hold no LINE id."""
    result = session.execute(delete(OutboxMessage).where(
        OutboxMessage.inbox_event_id == event_id,
        OutboxMessage.method.is_(None) | (OutboxMessage.method != "simulator")))
    return int(result.rowcount or 0)


def erase_conversation(session: Session, conversation_id: str) -> dict[str, int]:
    """Delete every batch sent (or to be sent) to the conversation's user."""
    account = users.account_of(session, conversation_id)
    if account is None:
        return {"outbox_deleted": 0}
    channel, line_user_id = account
    result = session.execute(delete(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.line_user_id == line_user_id))
    return {"outbox_deleted": int(result.rowcount or 0)}


def purge_sent(session: Session, cutoff: datetime) -> dict[str, int]:
    """Retention: delete batches recorded before `cutoff` unless their inbox event is still
    being answered (its unsent batches are resent with their retry keys) or they are held for
    LINE's quota (sent when it resets)."""
    unfinished = select(InboxEvent.id).where(InboxEvent.status.in_((PENDING, PROCESSING)))
    deleted = session.execute(delete(OutboxMessage).where(
        OutboxMessage.created_at < cutoff,
        OutboxMessage.method.is_(None) | (OutboxMessage.method != HELD),
        OutboxMessage.inbox_event_id.is_(None) | OutboxMessage.inbox_event_id.not_in(unfinished),
    )).rowcount
    return {"outbox_deleted": int(deleted or 0)}
