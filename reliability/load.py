"""`make bench-load`: simulated LINE users (signed webhooks, Thai/English mix incl. service
searches) against the full local stack, stepping the number of users to find the knee.

Each simulated user holds short conversations (2-6 messages, then a new LINE user id): it
sends a message, waits until the fake LINE receives the answer (reply or push), then sends the
next. A message forwarded to a caseworker (hand-off) counts as answered only when the bot
acknowledged it. Bounded: every step lasts `--seconds` and sends at most `--max-per-step`.

    PYTHONPATH=. .venv/bin/python -m reliability.load --users 2,5,10,20 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from gateway.models import InboxEvent, OutboxMessage
from gateway.signature import sign
from reliability.live_stack import CHANNEL, LiveStack, live_stack
from reliability.messages import pick
from reliability.report import publish, table
from saphan.db import make_engine
from testsupport.fake_line import FakeLine

E2E_TARGET_MS = 500.0
ANSWER_TIMEOUT_S = 10.0
#: Messages per simulated conversation (then a new user): real users talk briefly, and after
#: an emergency or a report their messages go to a caseworker (the bot acknowledges them).
CONVERSATION_LENGTH = (2, 6)


@dataclass
class StepResult:
    users: int
    seconds: float = 0.0
    sent: int = 0
    answered: int = 0
    errors: int = 0  # webhooks the gateway refused or did not answer (at first)
    redelivered: int = 0  # of those, accepted when sent again
    silent: dict[str, int] = field(default_factory=dict)  # text -> times not answered
    ack_ms: list[float] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)

    @property
    def unanswered(self) -> int:
        return self.sent - self.answered

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def send_and_wait(client: httpx.AsyncClient, live: LiveStack, user: str, text: str,
                        result: StepResult, redeliver_s: float = 0.0) -> None:
    """One message: signed webhook, then wait for the first message answering it. A refused
    webhook counts as an error; with `redeliver_s`, it is sent again (same event) every
    second for that long first, as LINE's webhook redelivery does."""
    event = live.line.text_event(user, text)
    raw = FakeLine.webhook_body([event])
    headers = {"Content-Type": "application/json",
               "X-Line-Signature": sign(CHANNEL["secret"], raw)}
    start = time.monotonic()
    refused = False
    while True:
        sent_at = time.monotonic()
        try:
            response = await client.post(live.webhook_url, content=raw, headers=headers)
            accepted = response.status_code == 200
        except httpx.HTTPError:
            accepted = False
        if accepted:
            result.redelivered += refused
            break
        result.errors += not refused
        refused = True
        if time.monotonic() - start >= redeliver_s:
            return
        await asyncio.sleep(1.0)
    result.ack_ms.append((time.monotonic() - sent_at) * 1000)
    result.sent += 1
    while time.monotonic() - start < ANSWER_TIMEOUT_S:
        arrived = live.arrivals.answered_at(event["replyToken"], user, start)
        if arrived is not None:
            result.answered += 1
            result.e2e_ms.append((arrived - start) * 1000)
            return
        await asyncio.sleep(0.005)
    result.silent[text] = result.silent.get(text, 0) + 1


async def run_step(live: LiveStack, users: int, seconds: float, max_sent: int,
                   seed: int) -> StepResult:
    """`users` concurrent users for `seconds` (no new message after that, nor after
    `max_sent`); in-flight messages are still waited for."""
    result = StepResult(users)
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    started = 0

    async def user_loop(n: int) -> None:
        nonlocal started
        while time.monotonic() < deadline and started < max_sent:
            # one conversation: a new LINE user sends a few messages, each after the answer
            user = f"Uload{seed:04d}{n:04d}{rng.getrandbits(64):016x}"
            for _ in range(rng.randint(*CONVERSATION_LENGTH)):
                if time.monotonic() >= deadline or started >= max_sent:
                    break
                started += 1
                await send_and_wait(client, live, user, pick(rng), result)

    limits = httpx.Limits(max_connections=users + 5)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        begin = time.monotonic()
        await asyncio.gather(*(user_loop(n) for n in range(users)))
        result.seconds = time.monotonic() - begin
    return result


def row(r: StepResult) -> list[object]:
    return [r.users, round(r.seconds, 1), r.sent, r.answered, r.unanswered, r.errors,
            round(r.rate, 1), *(round(percentile(r.ack_ms, p), 1) for p in (50, 95, 99)),
            *(round(percentile(r.e2e_ms, p), 1) for p in (50, 95, 99))]


HEADERS = ["users", "s", "sent", "answered", "unanswered", "errors", "msgs/s", "ack p50 ms",
           "ack p95", "ack p99", "e2e p50 ms", "e2e p95", "e2e p99"]


def knee(results: list[StepResult]) -> str:
    """The first step where e2e p95 passes the target, webhooks fail, or throughput
    stops growing (< 10% more than the step before)."""
    for before, step in itertools.pairwise(results):
        if percentile(step.e2e_ms, 95) > E2E_TARGET_MS or step.errors:
            return f"{step.users} users (e2e p95 {percentile(step.e2e_ms, 95):.0f} ms, " \
                   f"{step.errors} errors)"
        if step.rate < before.rate * 1.1:
            return f"{step.users} users (throughput flat: {before.rate:.1f} -> " \
                   f"{step.rate:.1f} msgs/s)"
    if results and (percentile(results[0].e2e_ms, 95) > E2E_TARGET_MS):
        return f"{results[0].users} users (already over the e2e target)"
    return "not reached in the steps run"


async def measure(live: LiveStack, steps: list[int], seconds: float,
                  max_per_step: int) -> list[StepResult]:
    await run_step(live, 1, 2.0, 5, seed=9999)  # warm-up: first answers load Rasa lazily
    results = []
    for i, users in enumerate(steps):
        result = await run_step(live, users, seconds, max_per_step, seed=i)
        print("  " + " | ".join(str(v) for v in row(result)), flush=True)
        results.append(result)
    return results


def inbox_statuses(database_url: str) -> dict[str, int]:
    """How many inbox events are in each state (pending/processing = not finished), and
    `done_silent`: done without any message to the user (the bot had no answer)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(InboxEvent.status, func.count())
                                .group_by(InboxEvent.status)).all()
            silent = conn.execute(select(func.count()).select_from(InboxEvent).where(
                InboxEvent.status == "done",
                ~select(OutboxMessage.id).where(OutboxMessage.inbox_event_id == InboxEvent.id)
                .exists())).scalar_one()
    finally:
        engine.dispose()
    return {**{status: int(n) for status, n in rows}, "done_silent": int(silent)}


def leaking_lines(log: Path) -> int:
    """Lines of the stack's output (Rasa, actions, gateway) naming a simulated LINE user id
    or a channel secret/token."""
    needles = ("Uload", CHANNEL["secret"], CHANNEL["access_token"])
    with log.open(encoding="utf-8", errors="replace") as lines:
        return sum(1 for line in lines if any(n in line for n in needles))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="1,2,4,8,12,16,24,32", help="comma-separated steps")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each step")
    parser.add_argument("--max-per-step", type=int, default=3000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-write", action="store_true", help="do not append to the results")
    parser.add_argument("--note", action="append", default=[], help="a note for the table")
    args = parser.parse_args()
    steps = [int(x) for x in args.users.split(",")]
    with tempfile.TemporaryDirectory(prefix="saphan-load-") as work, \
            live_stack(Path(work), args.database, args.postgres_url) as live:
        print("stack up:", live.pids(), flush=True)
        results = asyncio.run(measure(live, steps, args.seconds, args.max_per_step))
        statuses = inbox_statuses(live.stack.settings.database_url)
        leaks = leaking_lines(Path(work) / "stack.log")
    silent: dict[str, int] = {}
    for r in results:
        for text, n in r.silent.items():
            silent[text] = silent.get(text, 0) + n
    best = max(results, key=lambda r: r.rate)
    notes = [f"App database: {args.database}; each step {args.seconds:.0f} s, closed loop "
             "(each user waits for its answer); e2e = webhook sent -> first reply/push "
             "received by the fake LINE.",
             f"Knee: {knee(results)}. Best: {best.rate:.1f} msgs/s at {best.users} users "
             f"(target >= 30 msgs/s, e2e p95 <= {E2E_TARGET_MS:.0f} ms, zero unanswered).",
             f"Inbox events by state at the end: {statuses} (pending/processing/failed = "
             "not finished; done_silent = done, but the bot sent nothing).",
             f"Unanswered messages by text (the bot stayed silent or was too slow, "
             f"> {ANSWER_TIMEOUT_S:.0f} s): {silent or 'none'}.",
             f"Log lines of Rasa/actions/gateway naming a LINE user id or a secret: {leaks}.",
             *args.note]
    publish("Load (make bench-load)", table(HEADERS, [row(r) for r in results]), notes,
            write=not args.no_write)


if __name__ == "__main__":
    main()
