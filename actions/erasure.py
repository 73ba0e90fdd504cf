"""Erase one conversation's history and personal data ("delete my data").

App database (`erase_app_data`): the gateway's inbox events and outbox messages of the user
(events still being processed keep their row, with the message content removed, because the
gateway is answering them), and the transcript and shared location of their cases.
Kept: the pseudonymous user row (LINE id -> conversation id; needed to keep answering) and the
case records themselves (caseworkers' duty of care), without chat or location.

Rasa's tracker store (`erase_tracker_after_turn`): Rasa saves the current turn after this
action returns, and its SQL tracker store only appends, so the events are deleted after the
turn: Rasa's `PUT /conversations/{id}/tracker/events` takes the conversation lock (so it waits
for the turn to end; with an empty list it stores nothing), then the rows are deleted.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from cases.models import Case, CaseMessage
from gateway.models import DONE, FAILED, InboxEvent, LineUser, OutboxMessage
from saphan.db import make_engine

log = logging.getLogger("saphan.actions.erasure")
REDACTED_PAYLOAD = '{"redacted": true}'
#: Rasa's SQL tracker store table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent).
RASA_EVENTS_TABLE = "events"


@dataclass(frozen=True)
class ErasureReport:
    inbox_deleted: int
    inbox_redacted: int
    outbox_deleted: int
    case_messages_deleted: int
    cases_kept: int


def erase_app_data(engine: Engine, conversation_id: str) -> ErasureReport:
    """Delete/redact the app data of `conversation_id` in one transaction."""
    with Session(engine) as session, session.begin():
        users = session.execute(select(LineUser.channel, LineUser.line_user_id)
                                .where(LineUser.conversation_id == conversation_id)).all()
        inbox_deleted = inbox_redacted = outbox_deleted = 0
        for channel, line_user_id in users:
            mine_in = (InboxEvent.channel == channel) & (InboxEvent.line_user_id == line_user_id)
            mine_out = ((OutboxMessage.channel == channel)
                        & (OutboxMessage.line_user_id == line_user_id))
            outbox_deleted += session.execute(delete(OutboxMessage).where(mine_out)).rowcount
            finished = InboxEvent.status.in_((DONE, FAILED))
            inbox_deleted += session.execute(delete(InboxEvent).where(mine_in & finished)).rowcount
            inbox_redacted += session.execute(
                update(InboxEvent).where(mine_in & ~finished).values(payload=REDACTED_PAYLOAD)
            ).rowcount
        case_ids = list(session.scalars(select(Case.id)
                                        .where(Case.conversation_id == conversation_id)))
        messages = session.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(case_ids))
                                   ).rowcount if case_ids else 0
        if case_ids:
            session.execute(update(Case).where(Case.id.in_(case_ids))
                            .values(latitude=None, longitude=None, address=None))
    return ErasureReport(inbox_deleted, inbox_redacted, outbox_deleted, messages, len(case_ids))


def erase_tracker(tracker_store_url: str, conversation_id: str) -> int:
    """Delete all of the conversation's events from Rasa's SQL tracker store."""
    engine = make_engine(tracker_store_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(
                text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE sender_id = :sender"),
                {"sender": conversation_id},
            )
            return result.rowcount
    finally:
        engine.dispose()


def wait_for_turn_end(rasa_url: str, conversation_id: str, timeout_s: float = 60.0) -> None:
    """Returns once Rasa has released the conversation's lock (the current turn is saved)."""
    response = httpx.put(f"{rasa_url}/conversations/{conversation_id}/tracker/events",
                         json=[], timeout=timeout_s)
    response.raise_for_status()


def erase_tracker_after_turn(rasa_url: str, tracker_store_url: str,
                             conversation_id: str) -> threading.Thread:
    """In the background: wait for the current turn to end, then erase the tracker events."""

    def work() -> None:
        try:
            wait_for_turn_end(rasa_url, conversation_id)
            count = erase_tracker(tracker_store_url, conversation_id)
            log.info("erased %d tracker events of conversation %s…", count, conversation_id[:8])
        except Exception:
            log.exception("erasing the tracker of conversation %s… failed", conversation_id[:8])

    thread = threading.Thread(target=work, name="erase-tracker", daemon=True)
    thread.start()
    return thread
