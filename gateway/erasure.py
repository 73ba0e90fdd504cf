""""Delete my data", orchestrated in one place; reached by the action server through the
internal API (`POST /internal/conversations/{conversation_id}/erase`, bearer internal token).

Each owner erases its own data (`ports.OwnerEraser`: gateway outbox, inbox and users, cases,
…) on one session, so the app database is erased in one transaction. Rasa's tracker is
erased afterwards in the background: the request comes from the action of the current turn,
which Rasa saves only after the action returns (see `RasaBridge.erase_tracker`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Path, Request

from gateway.ports import OwnerEraser
from saphan.db import session_scope
from saphan.internal_api import require_internal_token

log = logging.getLogger("saphan.gateway.erasure")


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
        self._background(self._erase_tracker(conversation_id))
        return report

    async def _erase_tracker(self, conversation_id: str) -> None:
        try:
            count = await self.tracker.erase_tracker(conversation_id)
            log.info("erased %d tracker events of conversation %s…", count, conversation_id[:8])
        except Exception:
            log.exception("erasing the tracker of conversation %s… failed", conversation_id[:8])

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
