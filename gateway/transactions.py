"""Gateway database calls from async code: each call is one transaction in a worker thread
(`run` is `saphan.db.run_in_session`). `persist` also waits out a database outage, for writes
that record something already done (a message sent, an event finished, a retry scheduled):
forgetting such a write would send a message twice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from saphan.db import in_session, run_in_session

log = logging.getLogger("saphan.gateway.db")
P = ParamSpec("P")
R = TypeVar("R")
DB_RETRY_S = 600.0  # how long a worker keeps retrying a write through a database outage


run = run_in_session
__all__ = ["in_session", "persist", "run"]


async def persist(call: Callable[Concatenate[Session, P], R], *args: P.args,
                  **kwargs: P.kwargs) -> R:
    """`run`, retried with backoff while the database is unreachable (up to `DB_RETRY_S`)."""
    deadline = time.monotonic() + DB_RETRY_S
    delay = 0.2
    while True:
        try:
            return await run(call, *args, **kwargs)
        except DBAPIError as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("database unavailable (%s); retrying %s in %.1fs",
                        type(exc).__name__, getattr(call, "__name__", "write"), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
