"""In-process publish/subscribe for live dashboard updates (server-sent events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

QUEUE_SIZE = 100


class Broker:
    """Each subscriber gets its own bounded queue; a slow one loses events, never blocks."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()

    def publish(self, kind: str, **data: Any) -> None:
        event = {"kind": kind, **data}
        for queue in list(self._queues):
            if queue.full():
                continue
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


def sse(event: dict[str, Any]) -> str:
    """One server-sent event frame."""
    return f"event: {event['kind']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"


broker = Broker()
