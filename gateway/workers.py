"""Background workers inside the gateway process: one asyncio task per user with due events,
so each user's events run in order and different users run in parallel.

Event-driven: the webhook names the people whose events it stored (`wake(people)`) and their
workers start at once; a worker claims the person's next event in the transaction that
finishes the previous one. The dispatcher's database round (due users, retries, other
replicas' events) runs after a worker leaves events it could not claim, on a `wake()` without
names, exactly when the next retry is due, and otherwise every `POLL_S` — stretched, while
rounds find nothing to do, to at most `IDLE_POLL_S` (an idle gateway then costs a query every
few seconds instead of every second; the first event seen puts it back to `POLL_S`).

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
from collections.abc import Iterable

from gateway import inbox, outbox
from gateway.channels import SIMULATOR_PREFIX
from gateway.processor import Claimed, EventProcessor
from gateway.transactions import run
from saphan.db import utcnow
from saphan.logging import log_ids

log = logging.getLogger("saphan.gateway.workers")
POLL_S = 1.0
#: The longest gap between rounds of an idle dispatcher: bounds how late it finds events that
#: nobody woke it for (stored by a replica that stopped before claiming them). Retries that
#: come due and released orphans are looked for at their time regardless.
IDLE_POLL_S = 5.0
#: A person's event stored while their worker is busy is usually claimed by that worker a
#: moment later (it was sending the previous answer); only if it still waits after this long
#: are waiting messages searched for an emergency (`_answer_waiting_emergencies`).
SCAN_AFTER_S = 0.25
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
        self._next_round = 0.0  # when the dispatcher's next database round is due
        self._poll_s = POLL_S  # the gap between rounds now (grows while idle, `IDLE_POLL_S`)
        self.lease_s = processor.settings.inbox_lease_s
        #: leases are renewed and expired ones released well within one lease
        self._sweep_s = min(SWEEP_S, self.lease_s / 3)
        self._screened = 0  # queued events up to this id were looked at for emergencies
        self._first: dict[int, asyncio.Task[bool]] = {}  # first answers being sent, by event
        self._dirty: set[tuple[str, str]] = set()  # people woken while their worker runs
        self._round = False  # the next loop pass queries the database now (see `wake`)
        self._scan_at = 0.0  # when to look for waiting emergencies (0: no one waits)

    async def start(self) -> None:
        """Start dispatching. Events left `processing` by a crash come back when their lease
        expires (the first sweep runs now); those another replica holds stay with it."""
        self._loop_task = asyncio.create_task(self._dispatch_loop(), name="inbox-dispatch")

    def wake(self, people: Iterable[tuple[str, str]] | None = None) -> None:
        """New events were committed: look now instead of at the next poll. With `people`
        ((channel, LINE user id) of the events), their workers start without a database
        round; a person whose worker is busy gets it to claim again before it stops, and the
        dispatcher looks for an emergency waiting behind the busy event."""
        if people is None or self._stopping:
            self._round = True
            self._wake.set()
            return
        self._poll_s = POLL_S  # traffic: rounds at their usual pace again
        for key in people:
            if key in self._active:
                self._dirty.add(key)
                if not self._scan_at:
                    self._scan_at = time.monotonic() + SCAN_AFTER_S
                    self._wake.set()
            else:
                self._start(key)

    def _start(self, key: tuple[str, str]) -> None:
        if key not in self._active and not self._stopping:
            self._active[key] = asyncio.create_task(self._drain(key))

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
            self._wake.clear()
            now = time.monotonic()
            asked, full = self._round, self._round or now >= self._next_round
            sweep = now >= self._next_sweep
            try:
                if sweep:
                    self._next_sweep = now + self._sweep_s
                    await run(inbox.renew_leases, set(self._holding), self.lease_s)
                    released = await run(inbox.release_orphans, set(self._holding))
                    if released:
                        log.warning("released %s events whose worker was gone", released)
                        full = True  # their people are due now
                scan = self._scan_at and now >= self._scan_at
                if scan:
                    self._scan_at = 0.0
                # emergencies wait only behind a busy event: looked for when someone's event
                # still waits unclaimed, on a round asked for, and with each sweep otherwise
                if asked or sweep or (scan and self._dirty):
                    await self._answer_waiting_emergencies()
                if full:
                    self._round = False
                    due, later = await run(inbox.users_with_due_events)
                    for key in due:
                        self._start(key)
                    busy = bool(due or self._active)  # a later retry: woken at its time below
                    self._poll_s = POLL_S if busy else min(IDLE_POLL_S, self._poll_s * 2)
                    wait = self._poll_s
                    if later is not None:
                        wait = max(0.05, min(wait, (later - utcnow()).total_seconds()))
                    self._next_round = time.monotonic() + wait
            except Exception:
                log.exception("inbox dispatch failed; retrying")
                self._next_round = time.monotonic() + POLL_S
            timeout = max(0.05, min(self._next_round, self._next_sweep,
                                    self._scan_at or self._next_round) - time.monotonic())
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
        """Process the user's due events one after another, oldest first. Each event's
        closing transaction claims the next one; before stopping, the worker claims again if
        the webhook stored an event of the person meanwhile (`wake`)."""
        waiting = failed = False
        try:
            simulated = key[0].startswith(SIMULATOR_PREFIX)
            async with self._simulator_slots if simulated else self._slots:
                claimed: Claimed | None = None
                while not self._stopping:
                    if claimed is None or (claimed.turn is None and key in self._dirty):
                        self._dirty.discard(key)
                        claimed = await run(self.processor.claim, *key)
                    if claimed.turn is None:
                        waiting = claimed.waiting
                        if key not in self._dirty:
                            return
                        continue
                    turn, claimed = claimed.turn, None
                    job = turn.job
                    self._holding.add(job.id)
                    first = self._first.get(job.id)
                    if first is not None:
                        if await first:  # its first answer used the token
                            job.reply_token_used = job.fallback_sent = True
                        # read again: the claim may have read before that answer was recorded
                        # or sent
                        turn.recorded = await run(outbox.for_event, job.id)
                    try:
                        self._dirty.discard(key)  # the closing transaction claims again
                        with log_ids(event_id=job.id):
                            claimed = await self.processor.process(turn, claim_next=True)
                    finally:
                        self._holding.discard(job.id)
        except Exception:
            failed = True
            log.exception("worker for a user failed; the dispatcher will retry")
        finally:
            self._active.pop(key, None)
            if failed:
                self._dirty.discard(key)  # the dispatcher's round below finds its events
            if not self._stopping and (waiting or failed):
                self.wake()  # a retry is due later, or another worker holds the person's event
