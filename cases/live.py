"""In-process publish/subscribe for live dashboard updates (server-sent events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

QUEUE_SIZE = 100


class Broker:
    """Each subscriber gets its own bounded queue; a slow one loses events, never blocks.
    `publish` may be called from any thread (request handlers run in a thread pool): events
    are handed to each subscriber's event loop."""

    def __init__(self) -> None:
        self._queues: dict[asyncio.Queue[dict[str, Any]], asyncio.AbstractEventLoop] = {}

    def publish(self, kind: str, **data: Any) -> None:
        event = {"kind": kind, **data}
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for queue, loop in list(self._queues.items()):
            if loop is here:
                _offer(queue, event)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_offer, queue, event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues[queue] = asyncio.get_running_loop()
        try:
            yield queue
        finally:
            self._queues.pop(queue, None)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


def _offer(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if not queue.full():
        queue.put_nowait(event)


def sse(event: dict[str, Any]) -> str:
    """One server-sent event frame."""
    return f"event: {event['kind']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
