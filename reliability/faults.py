"""Fault injection under load: kill a process of the full stack (SIGKILL, its whole process
group), keep the users talking while it is down, restart it, let the backlog drain.

Prints one row per fault: accepted events, how many the gateway refused while it was itself
down (LINE redelivers those), fallbacks the users got, events not finished after the drain
(lost), duplicate deliveries to users (LINE calls beyond the outbox's sent batches) and the
drain time. Bounded: `--down` seconds down, at most `--drain` seconds to drain.

    PYTHONPATH=. .venv/bin/python -m reliability.faults --faults actions,rasa,gateway
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from gateway.models import InboxEvent, OutboxMessage
from gateway.texts import LANGUAGES, text
from reliability.live_stack import LiveStack, live_stack
from reliability.load import StepResult, send_and_wait
from reliability.messages import pick
from reliability.report import publish, table
from saphan.db import make_engine
from saphan.supervisor import is_healthy

FAULTS = ("actions", "rasa", "gateway", "database")
HEADERS = ["fault", "down s", "accepted", "refused while down", "answered", "fallbacks",
           "unfinished (lost)", "duplicates", "drain s", "restart s"]


def kill(live: LiveStack, name: str) -> None:
    if name == "database":
        assert live.db_cut is not None, "the database fault needs --database postgresql"
        live.db_cut.down()
        return
    proc = live.stack.supervisor.procs[name]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def restart(live: LiveStack, name: str, timeout: float = 240.0) -> float:
    """Start `name` again from its spec; seconds until it is healthy."""
    start = time.monotonic()
    if name == "database":
        assert live.db_cut is not None
        live.db_cut.up()
        return time.monotonic() - start
    sup = live.stack.supervisor
    spec = next(s for s in sup.specs if s.name == name)
    start = time.monotonic()
    sup.procs[name] = subprocess.Popen(spec.argv, cwd=spec.cwd, env=spec.env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True)
    while not is_healthy(spec.health_url):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{name} not healthy after {timeout:.0f}s")
        time.sleep(0.5)
    return time.monotonic() - start


def db_counts(database_url: str) -> tuple[int, int, int]:
    """(inbox events, unfinished events, outbox batches sent)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(InboxEvent)).scalar_one()
            open_ = conn.execute(select(func.count()).select_from(InboxEvent).where(
                InboxEvent.status != "done")).scalar_one()
            sent = conn.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.sent_at.is_not(None))).scalar_one()
    finally:
        engine.dispose()
    return int(total), int(open_), int(sent)


def line_deliveries(live: LiveStack) -> tuple[int, int]:
    """(successful reply/push calls, fallback messages among them)."""
    fallbacks = {text("fallback", lang) for lang in LANGUAGES}
    calls = live.line.calls("/v2/bot/message/")
    n_fallback = sum(1 for c in calls for m in c.body.get("messages", [])
                     if m.get("text") in fallbacks)
    return len(calls), n_fallback


async def one_fault(live: LiveStack, name: str, users: int, before: float, down: float,
                    drain: float, seed: int) -> list[object]:
    url = live.database_url
    total0, _, sent0 = db_counts(url)
    calls0, fallbacks0 = line_deliveries(live)
    result = StepResult(users)
    stop = asyncio.Event()
    rng = random.Random(seed)

    async def user_loop(n: int) -> None:
        user = f"Ufault{name}{n:03d}{rng.getrandbits(48):012x}"
        while not stop.is_set():
            await send_and_wait(client, live, user, pick(rng), result)
            await asyncio.sleep(0.2)

    async with httpx.AsyncClient(timeout=10) as client:
        loops = [asyncio.create_task(user_loop(n)) for n in range(users)]
        await asyncio.sleep(before)
        await asyncio.to_thread(kill, live, name)
        errors_before = result.errors
        await asyncio.sleep(down)
        restart_s = await asyncio.to_thread(restart, live, name)
        refused = result.errors - errors_before
        await asyncio.sleep(before)
        stop.set()
        await asyncio.gather(*loops)
    start = time.monotonic()
    while time.monotonic() - start < drain and db_counts(url)[1]:
        await asyncio.sleep(0.5)
    drain_s = time.monotonic() - start
    total, unfinished, sent = db_counts(url)
    calls, fallbacks = line_deliveries(live)
    accepted = total - total0
    duplicates = (calls - calls0) - (sent - sent0)
    return [name, down, accepted, refused, result.answered, fallbacks - fallbacks0,
            unfinished, duplicates, round(drain_s, 1), round(restart_s, 1)]


async def run(live: LiveStack, faults: list[str], users: int, before: float, down: float,
              drain: float) -> list[list[object]]:
    rows = []
    for i, name in enumerate(faults):
        row = await one_fault(live, name, users, before, down, drain, seed=i)
        print("  " + " | ".join(str(v) for v in row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default="", help=f"comma-separated, of {FAULTS}; "
                        "default: all (database only with --database postgresql)")
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--before", type=float, default=4.0, help="load before/after, s")
    parser.add_argument("--down", type=float, default=6.0, help="seconds a part stays down")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to drain")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="postgresql also allows the 'database' fault")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    faults = args.faults.split(",") if args.faults else [
        f for f in FAULTS if f != "database" or args.database == "postgresql"]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; choose from {FAULTS}")
    if "database" in faults and args.database != "postgresql":
        parser.error("the database fault needs --database postgresql")
    # fast retries so the backlog drains within the bounded run
    with tempfile.TemporaryDirectory(prefix="saphan-faults-") as work, \
            live_stack(Path(work), args.database, args.postgres_url,
                       inbox_retry_base_s=0.5, inbox_retry_max_s=2.0) as live:
        rows = asyncio.run(run(live, faults, args.users, args.before, args.down, args.drain))
    notes = [f"SIGKILL of the process group, restart from the same command; the database "
             f"fault cuts every connection to PostgreSQL (TCP forwarder) and refuses new ones; "
             f"app database: {args.database}. 'refused while down' = webhooks the gateway "
             "could not acknowledge (LINE redelivers them); 'unfinished (lost)' = accepted "
             "events not done after the drain; 'duplicates' = LINE deliveries beyond the "
             "outbox batches sent.",
             *args.note]
    publish("Faults (make reliability)", table(HEADERS, rows), notes, write=not args.no_write)


if __name__ == "__main__":
    main()
