"""Background workers inside the gateway process: one asyncio task per user with due events,
so each user's events run in order and different users run in parallel.

Simulator users have their own, smaller lane (`simulator_workers` slots): however many of them
queue up, LINE users' events never wait for a slot behind them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from gateway import inbox
from gateway.channels import SIMULATOR_PREFIX
from gateway.processor import EventProcessor
from gateway.transactions import run
from saphan.db import utcnow

log = logging.getLogger("saphan.gateway.workers")
POLL_S = 1.0
SWEEP_S = 10.0  # how often claims of vanished workers are looked for (`inbox.release_orphans`)


class InboxWorkers:
    def __init__(self, processor: EventProcessor, max_parallel_users: int = 16,
                 simulator_workers: int = 2) -> None:
        self.processor = processor
        self._wake = asyncio.Event()
        self._active: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(max_parallel_users)
        self._simulator_slots = asyncio.Semaphore(simulator_workers)
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._holding: set[int] = set()  # ids of the events this process's workers hold
        self._next_sweep = 0.0

    async def start(self) -> None:
        recovered = await run(inbox.recover_unfinished)
        if recovered:
            log.info("recovered %s unfinished events", recovered)
        self._loop_task = asyncio.create_task(self._dispatch_loop(), name="inbox-dispatch")

    def wake(self) -> None:
        """New events were committed: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop dispatching, then cancel running events (they are redone after restart)."""
        self._stopping = True  # a flag too: a cancellation racing a wake-up can be swallowed
        for task in [t for t in (self._loop_task, *self._active.values()) if t]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _dispatch_loop(self) -> None:
        while not self._stopping:
            timeout = POLL_S
            self._wake.clear()
            try:
                if time.monotonic() >= self._next_sweep:
                    self._next_sweep = time.monotonic() + SWEEP_S
                    released = await run(inbox.release_orphans, set(self._holding))
                    if released:
                        log.warning("released %s events whose worker was gone", released)
                due, later = await run(inbox.users_with_due_events)
                for key in due:
                    if key not in self._active:
                        self._active[key] = asyncio.create_task(self._drain(key))
                if later is not None:
                    timeout = max(0.05, min(POLL_S, (later - utcnow()).total_seconds()))
            except Exception:
                log.exception("inbox dispatch failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _drain(self, key: tuple[str, str]) -> None:
        """Process the user's due events one after another, oldest first."""
        try:
            simulated = key[0].startswith(SIMULATOR_PREFIX)
            async with self._simulator_slots if simulated else self._slots:
                while not self._stopping:
                    job = await run(inbox.claim_next, *key)
                    if job is None:
                        return
                    self._holding.add(job.id)
                    try:
                        await self.processor.process(job)
                    finally:
                        self._holding.discard(job.id)
        except Exception:
            log.exception("worker for a user failed; the dispatcher will retry")
        finally:
            self._active.pop(key, None)
            if not self._stopping:
                self._wake.set()
