"""Background workers inside the gateway process: one asyncio task per user with due events,
so each user's events run in order and different users run in parallel.

Simulator users have their own, smaller lane (`simulator_workers` slots): however many of them
queue up, LINE users' events never wait for a slot behind them.

Emergencies never wait: each round the dispatcher also looks at message events queued behind
an earlier event of the same person (each once per process) and lets the processor answer an
emergency among them at once with the emergency numbers (`EventProcessor.first_answer`); the
event keeps its place in the person's order."""

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
from saphan.logging import log_ids

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
        self.lease_s = processor.settings.inbox_lease_s
        #: leases are renewed and expired ones released well within one lease
        self._sweep_s = min(SWEEP_S, self.lease_s / 3)
        self._screened = 0  # queued events up to this id were looked at for emergencies
        self._first: dict[int, asyncio.Task[bool]] = {}  # first answers being sent, by event

    async def start(self) -> None:
        """Start dispatching. Events left `processing` by a crash come back when their lease
        expires (the first sweep runs now); those another replica holds stay with it."""
        self._loop_task = asyncio.create_task(self._dispatch_loop(), name="inbox-dispatch")

    def wake(self) -> None:
        """New events were committed: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop dispatching, then cancel running events (they are redone after restart)."""
        self._stopping = True  # a flag too: a cancellation racing a wake-up can be swallowed
        for task in [t for t in (self._loop_task, *self._active.values(),
                                 *self._first.values()) if t]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _dispatch_loop(self) -> None:
        while not self._stopping:
            timeout = POLL_S
            self._wake.clear()
            try:
                if time.monotonic() >= self._next_sweep:
                    self._next_sweep = time.monotonic() + self._sweep_s
                    await run(inbox.renew_leases, set(self._holding), self.lease_s)
                    released = await run(inbox.release_orphans, set(self._holding))
                    if released:
                        log.warning("released %s events whose worker was gone", released)
                await self._answer_waiting_emergencies()
                due, later = await run(inbox.users_with_due_events)
                for key in due:
                    if key not in self._active:
                        self._active[key] = asyncio.create_task(self._drain(key))
                if later is not None:
                    timeout = max(0.05, min(POLL_S, (later - utcnow()).total_seconds()))
                timeout = min(timeout, max(0.05, self._next_sweep - time.monotonic()))
            except Exception:
                log.exception("inbox dispatch failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _answer_waiting_emergencies(self) -> None:
        """Start a first answer for each message queued behind another event of its person
        (the processor answers only emergencies)."""
        for job in await run(inbox.queued_messages, self._screened):
            self._screened = max(self._screened, job.id)
            if job.id not in self._first:
                task = asyncio.create_task(self._first_answer(job))
                self._first[job.id] = task

    async def _first_answer(self, job: inbox.Job) -> bool:
        try:
            with log_ids(event_id=job.id):
                return await self.processor.first_answer(job)
        except Exception:
            log.exception("first answer to event %s failed; it is answered in order", job.id)
            return False
        finally:
            self._first.pop(job.id, None)

    async def _drain(self, key: tuple[str, str]) -> None:
        """Process the user's due events one after another, oldest first."""
        try:
            simulated = key[0].startswith(SIMULATOR_PREFIX)
            async with self._simulator_slots if simulated else self._slots:
                while not self._stopping:
                    job = await run(inbox.claim_next, *key, self.lease_s)
                    if job is None:
                        return
                    self._holding.add(job.id)
                    first = self._first.get(job.id)
                    if first is not None and await first:  # its first answer used the token
                        job.reply_token_used = job.fallback_sent = True
                    try:
                        with log_ids(event_id=job.id):
                            await self.processor.process(job)
                    finally:
                        self._holding.discard(job.id)
        except Exception:
            log.exception("worker for a user failed; the dispatcher will retry")
        finally:
            self._active.pop(key, None)
            if not self._stopping:
                self._wake.set()
