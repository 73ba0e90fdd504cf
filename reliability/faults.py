"""Fault injection under load: kill a process of the full stack (SIGKILL, its whole process
group), keep the users talking while it is down, restart it, let the backlog drain.

Prints one row per fault: accepted events, how many the gateway refused while it was itself
down (LINE redelivers those), fallbacks the users got, events not finished after the drain
(lost), duplicate deliveries to users (LINE calls beyond the outbox's sent batches) and the
drain time. Bounded: `--down` seconds down, at most `--drain` seconds to drain.

    PYTHONPATH=. .venv/bin/python -m reliability.faults --faults actions,rasa,gateway

`--check` exits 1 when an accepted event was lost or a message sent twice (CI:
`make reliability-short`). `--supervised`: nobody restarts a killed process but the real
supervisor of `saphan run` (`saphan.supervisor.Supervisor.watch`, restart with backoff);
'restart s' is then the time from the kill until the part is healthy again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from content.catalogue import full_languages, text
from gateway.models import InboxEvent, OutboxMessage
from reliability.live_stack import LiveStack, live_stack
from reliability.load import CONVERSATION_LENGTH, StepResult, run_step, send_and_wait
from reliability.load import HEADERS as LOAD_HEADERS
from reliability.load import row as load_table_row
from reliability.messages import pick
from reliability.report import publish, table
from saphan.db import make_engine
from saphan.supervisor import is_healthy

FAULTS = ("actions", "rasa", "gateway", "database")
HEADERS = ["fault", "down s", "accepted", "refused (redelivered)", "answered", "fallbacks",
           "unfinished (lost)", "duplicates", "drain s", "restart s"]
REDELIVER_S = 60.0  # a refused webhook is sent again every second for up to this long
LOST, DUPLICATES = HEADERS.index("unfinished (lost)"), HEADERS.index("duplicates")


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


def restarted_by_supervisor(live: LiveStack, name: str, restarts_before: int,
                            timeout: float = 240.0) -> float:
    """Wait until the supervisor has started `name` again and it is healthy; seconds waited."""
    start = time.monotonic()
    sup = live.stack.supervisor
    spec = next(s for s in sup.specs if s.name == name)
    while sup.restarts[name] <= restarts_before or not is_healthy(spec.health_url):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"the supervisor did not bring {name} back in {timeout:.0f}s")
        time.sleep(0.2)
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
    fallbacks = {text("gateway", "fallback", lang) for lang in full_languages("gateway")}
    calls = live.line.calls("/v2/bot/message/")
    n_fallback = sum(1 for c in calls for m in c.body.get("messages", [])
                     if m.get("text") in fallbacks)
    return len(calls), n_fallback


async def settled_counts(live: LiveStack, timeout: float) -> tuple[tuple, tuple]:
    """db_counts and line_deliveries once nothing is in flight: no unfinished event and the
    same numbers twice 0.5 s apart (a batch delivered but not yet marked sent would count
    as a missing delivery later)."""
    previous = None
    deadline = time.monotonic() + timeout
    while True:
        current = (db_counts(live.database_url), line_deliveries(live))
        if (current == previous and not current[0][1]) or time.monotonic() > deadline:
            return current
        previous = current
        await asyncio.sleep(0.5)


async def conversation_loop(client: httpx.AsyncClient, live: LiveStack, prefix: str,
                            rng: random.Random, result: StepResult, stop: asyncio.Event) -> None:
    """One simulated user until `stop`: short conversations, each of a new LINE user
    (`prefix` + random hex), a message 0.2 s after the answer; refused webhooks are redelivered
    as LINE does (`REDELIVER_S`)."""
    while not stop.is_set():
        user = f"{prefix}{rng.getrandbits(48):012x}"
        for _ in range(rng.randint(*CONVERSATION_LENGTH)):
            if stop.is_set():
                break
            await send_and_wait(client, live, user, pick(rng), result, redeliver_s=REDELIVER_S)
            await asyncio.sleep(0.2)


async def wait_drained(live: LiveStack, seconds: float) -> float:
    """Wait (at most `seconds`) until no accepted event is unfinished; seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < seconds and db_counts(live.database_url)[1]:
        await asyncio.sleep(0.5)
    return time.monotonic() - start


async def one_fault(live: LiveStack, name: str, users: int, before: float, down: float,
                    drain: float, seed: int, supervised: bool = False) -> list[object]:
    (total0, _, sent0), (calls0, fallbacks0) = await settled_counts(live, drain)
    result = StepResult(users)
    stop = asyncio.Event()
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=10) as client:
        loops = [asyncio.create_task(conversation_loop(client, live, f"Ufault{name}{n:03d}",
                                                       rng, result, stop))
                 for n in range(users)]
        await asyncio.sleep(before)
        if supervised and name != "database":
            restarts = live.stack.supervisor.restarts[name]
            killed_at = time.monotonic()
            await asyncio.to_thread(kill, live, name)
            await asyncio.to_thread(restarted_by_supervisor, live, name, restarts)
            restart_s = time.monotonic() - killed_at
            down = round(restart_s, 1)
        else:
            await asyncio.to_thread(kill, live, name)
            await asyncio.sleep(down)
            restart_s = await asyncio.to_thread(restart, live, name)
        await asyncio.sleep(before)
        stop.set()
        await asyncio.gather(*loops)
    refused = f"{result.errors} ({result.redelivered})"  # refused (accepted on redelivery)
    drained_s = await wait_drained(live, drain)
    total, unfinished, sent = db_counts(live.database_url)
    calls, fallbacks = line_deliveries(live)
    accepted = total - total0
    duplicates = (calls - calls0) - (sent - sent0)
    return [name, down, accepted, refused, result.answered, fallbacks - fallbacks0,
            unfinished, duplicates, round(drained_s, 1), round(restart_s, 1)]


async def run(live: LiveStack, faults: list[str], users: int, before: float, down: float,
              drain: float, load_seconds: float,
              supervised: bool = False) -> tuple[list[object] | None, list[list[object]]]:
    load_row = None
    if load_seconds:
        await run_step(live, 1, 2.0, 5, seed=9999)  # warm-up
        step = await run_step(live, users, load_seconds, 10**6, seed=777)
        load_row = load_table_row(step)
        print("  load: " + " | ".join(str(v) for v in load_row), flush=True)
    rows = []
    for i, name in enumerate(faults):
        row = await one_fault(live, name, users, before, down, drain, seed=i,
                              supervised=supervised)
        print("  " + " | ".join(str(v) for v in row), flush=True)
        rows.append(row)
    return load_row, rows


def postgres_reachable(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def failures(rows: list[list[object]]) -> list[str]:
    """What makes `--check` fail: an accepted event lost, or a message sent twice."""
    return [f"{row[0]}: {row[LOST]} accepted events lost, {row[DUPLICATES]} duplicates"
            for row in rows if row[LOST] or row[DUPLICATES]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default="", help=f"comma-separated, of {FAULTS}; "
                        "default: all (database only on PostgreSQL)")
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--before", type=float, default=4.0, help="load before/after, s")
    parser.add_argument("--down", type=float, default=6.0, help="seconds a part stays down")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to drain")
    parser.add_argument("--load-seconds", type=float, default=0.0,
                        help="first a plain load step of this many seconds (0: none)")
    parser.add_argument("--database", choices=["auto", "sqlite", "postgresql"], default="auto",
                        help="app database; postgresql also allows the 'database' fault; "
                        "auto: postgresql when --postgres-url answers, else sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL") or
                        "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when an accepted event is lost or a message duplicated")
    parser.add_argument("--supervised", action="store_true",
                        help="the real supervisor restarts killed processes (not this script)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    database = args.database
    if database == "auto":
        database = "postgresql" if postgres_reachable(args.postgres_url) else "sqlite"
    faults = args.faults.split(",") if args.faults else [
        f for f in FAULTS if f != "database" or database == "postgresql"]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; choose from {FAULTS}")
    if "database" in faults and database != "postgresql":
        parser.error("the database fault needs PostgreSQL (--database postgresql)")
    # fast retries so the backlog drains within the bounded run
    with tempfile.TemporaryDirectory(prefix="saphan-faults-") as work, \
            live_stack(Path(work), database, args.postgres_url,
                       inbox_retry_base_s=0.5, inbox_retry_max_s=2.0) as live:
        watcher = None
        if args.supervised:
            watcher = threading.Thread(target=live.stack.supervisor.watch, daemon=True)
            watcher.start()
        load_row, rows = asyncio.run(run(live, faults, args.users, args.before, args.down,
                                         args.drain, args.load_seconds, args.supervised))
    notes = [f"{args.users} users in short conversations (2-6 messages each), a message every "
             f"~0.2 s after the answer; " + (
                 "each process SIGKILLed (its process group) and restarted by the real "
                 "supervisor of `saphan run` ('down s' = kill to healthy); " if args.supervised
                 else f"each part down {args.down:g} s (SIGKILL of its process group, "
                 "restart from the same command); ") + "'database' cuts every connection to "
             f"PostgreSQL through a TCP forwarder and refuses new ones); app database: "
             f"{database}.",
             "'refused (redelivered)' = webhooks the gateway could not store while it or the "
             "database was down, and how many of them the simulated LINE redelivery (every "
             f"1 s, up to {REDELIVER_S:.0f} s) got accepted; 'answered' = answered within "
             "10 s; 'unfinished (lost)' = accepted events not done after the drain; "
             "'duplicates' = LINE deliveries beyond the outbox batches sent.",
             *args.note]
    body = table(HEADERS, rows)
    if load_row is not None:
        body = table(LOAD_HEADERS, [load_row]) + "\n\n" + body
    publish("Faults (make reliability)", body, notes, write=not args.no_write)
    problems = failures(rows)
    if args.check and problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
