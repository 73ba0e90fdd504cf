""""Delete my data", orchestrated in one place; reached by the action server through the
internal API (`POST /internal/conversations/{conversation_id}/erase`, bearer internal token).

Each owner erases its own data (`ports.OwnerEraser`: gateway outbox, inbox and users, cases,
…) on one session, so the app database is erased in one transaction. Rasa's tracker is
erased afterwards in the background: the request comes from the action of the current turn,
which Rasa saves only after the action returns (see `RasaBridge.erase_tracker`). Last, once
the event of the current turn is finished (and deleted, `inbox.mark_done`), the deleted bytes
are scrubbed from the database files (`saphan.db.scrub_deleted`: SQLite's write-ahead log
truncated, PostgreSQL's tables vacuumed). The audit log records the erasure (`cases.service`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Path, Request

from gateway import inbox
from gateway.ports import OwnerEraser
from saphan.db import get_engine, in_session, scrub_deleted, session_scope
from saphan.internal_api import require_internal_token

log = logging.getLogger("saphan.gateway.erasure")

#: Tables whose rows an erasure deletes or rewrites (vacuumed after it on PostgreSQL).
ERASED_TABLES = ("line_users", "inbox_events", "outbox_messages", "cases", "case_messages",
                 "case_notes", "case_referrals", "case_events", "screening_records")
#: How long the scrub waits for the erased event of the current turn to be finished.
IN_FLIGHT_WAIT_S = 120.0


class TrackerEraser(Protocol):
    async def erase_tracker(self, conversation_id: str) -> int: ...


def erase_app_data(erasers: Sequence[OwnerEraser], conversation_id: str) -> dict[str, int]:
    """Every owner's erasure in one transaction; their reports merged."""
    report: dict[str, int] = {}
    with session_scope() as session:
        for erase_own in erasers:
            report.update(erase_own(session, conversation_id))
    return report


class ConversationErasure:
    def __init__(self, erasers: Sequence[OwnerEraser], tracker: TrackerEraser) -> None:
        self.erasers = list(erasers)
        self.tracker = tracker
        self._tasks: set[asyncio.Task[Any]] = set()

    async def erase(self, conversation_id: str) -> dict[str, int]:
        """Erase the app data now and Rasa's tracker once the current turn has ended."""
        report = await asyncio.to_thread(erase_app_data, self.erasers, conversation_id)
        self._background(self._after_turn(conversation_id))
        return report

    @property
    def pending(self) -> int:
        """Erasures whose tracker or scrub step is still running."""
        return len(self._tasks)

    async def _after_turn(self, conversation_id: str) -> None:
        try:
            count = await self.tracker.erase_tracker(conversation_id)
            log.info("erased %d tracker events of an erased conversation", count)
        except Exception:
            log.exception("erasing the tracker of an erased conversation failed")
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + IN_FLIGHT_WAIT_S
            while await asyncio.to_thread(in_session, inbox.erased_in_flight):
                if loop.time() > deadline:
                    log.warning("an erased event is still being answered; scrubbing anyway")
                    break
                await asyncio.sleep(0.2)
            done = await asyncio.to_thread(scrub_deleted, get_engine(), ERASED_TABLES)
            log.info("after an erasure: %s", done)
        except Exception:
            log.exception("scrubbing the database after an erasure failed")

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _erasure(request: Request) -> ConversationErasure:
    return request.app.state.erasure


router = APIRouter(prefix="/internal/conversations", tags=["internal conversations"],
                   dependencies=[Depends(require_internal_token)])


@router.post("/{conversation_id}/erase", summary="Delete a conversation's data (delete my data)")
async def erase(conversation_id: Annotated[str, Path(min_length=1, max_length=64)],
                erasure: Annotated[ConversationErasure, Depends(_erasure)]) -> dict[str, int]:
    """Counts of what each owner erased or kept; the tracker follows in the background."""
    return await erasure.erase(conversation_id)
