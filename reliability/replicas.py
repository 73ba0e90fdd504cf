"""`make reliability-replicas`: several replicas on one PostgreSQL and one Redis (issue 21).

Starts 2 gateways + 2 Rasa + 1 action server: the app database and Rasa's tracker store in
PostgreSQL, Rasa's lock store in a Redis of its own (with a password and a database number, as
`SAPHAN_REDIS_URL` gives them), the gateways behind one loopback round-robin balancer (where the
simulated LINE sends its webhooks) and the two Rasa behind another (where the gateways send).
Simulated users talk through it; under load one gateway and one Rasa are SIGKILLed at once and
the real supervisor of `saphan run` restarts them. Reports accepted events, lost ones (not done
after the drain), duplicates (LINE deliveries beyond the outbox batches sent), throughput, how
the balancers spread connections and each Rasa's memory.

    PYTHONPATH=. .venv/bin/python -m reliability.replicas --users 4 --before 15 --check
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from reliability.balancer import RoundRobin
from reliability.faults import (
    conversation_loop,
    kill,
    restarted_by_supervisor,
    settled_counts,
    wait_drained,
)
from reliability.live_stack import CHANNEL, Arrivals, LiveStack
from reliability.load import StepResult
from reliability.report import publish, table
from saphan.processes import ProcessSpec, action_server_spec, gateway_spec, rasa_spec
from saphan.rasa_model import ensure_model
from saphan.settings import Settings
from saphan.supervisor import Supervisor
from testsupport.databases import migrated_database, postgres_schema_url
from testsupport.fake_line import FakeLine
from testsupport.stack import Stack, free_port, stack_settings

HEADERS = ["killed", "s under load", "accepted", "refused (redelivered)", "answered",
           "fallbacks", "unfinished (lost)", "duplicates", "answers/s", "drain s",
           "back s (gateway, rasa)"]
LOST, DUPLICATES = HEADERS.index("unfinished (lost)"), HEADERS.index("duplicates")
KILLED = ("gateway-a", "rasa-a")
REDIS_PASSWORD = "replica-run-lock-store"  # a throwaway Redis of this run only
REDIS_DB = 2


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis of this run with a password; yields its URL (database `REDIS_DB`)."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--requirepass", REDIS_PASSWORD],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/{REDIS_DB}"
    finally:
        proc.terminate()
        proc.wait(10)


def _named(spec: ProcessSpec, name: str) -> ProcessSpec:
    return dataclasses.replace(spec, name=name)


@dataclasses.dataclass
class Replicas:
    live: LiveStack
    gateways: RoundRobin
    rasas: RoundRobin


@contextmanager
def replica_stack(work: Path, postgres_url: str, model: Path) -> Iterator[Replicas]:
    """Everything of the run, stopped afterwards."""
    with ExitStack() as stack:
        line = stack.enter_context(FakeLine())
        arrivals = Arrivals()
        line.state.calls = arrivals  # type: ignore[assignment]
        app_db = stack.enter_context(migrated_database("postgresql", work, postgres_url))
        tracker_db = stack.enter_context(postgres_schema_url(postgres_url))
        redis_url = stack.enter_context(redis_server())
        rasa_ports, gateway_ports = [free_port(), free_port()], [free_port(), free_port()]
        rasas = stack.enter_context(RoundRobin([("127.0.0.1", p) for p in rasa_ports]))
        gateways = stack.enter_context(RoundRobin([("127.0.0.1", p) for p in gateway_ports]))
        common = {"tracker_store_url": tracker_db, "redis_url": redis_url,
                  "line_api_base_url": line.url, "line_channels": json.dumps([CHANNEL]),
                  "log_level": "WARNING", "inbox_retry_base_s": 0.5, "inbox_retry_max_s": 2.0,
                  "public_base_url": gateways.url}
        base = stack_settings(app_db, work, **common)
        specs = [action_server_spec(base)]
        for name, port in zip(("rasa-a", "rasa-b"), rasa_ports, strict=True):
            own = base.model_copy(update={"rasa_url": f"http://127.0.0.1:{port}"})
            specs.append(_named(rasa_spec(own, model), name))
        for name, port in zip(("gateway-a", "gateway-b"), gateway_ports, strict=True):
            own = base.model_copy(update={"rasa_url": rasas.url, "gateway_port": port,
                                          "public_base_url": ""})
            specs.append(_named(gateway_spec(own), name))
        out = stack.enter_context(open(work / "stack.log", "a", encoding="utf-8"))
        sup = Supervisor(specs, out=out)
        stack.callback(sup.stop)
        sup.start()
        sup.wait_healthy(timeout=600)
        front: Settings = base.model_copy(update={"rasa_url": rasas.url})
        yield Replicas(LiveStack(Stack(front, sup), line, arrivals, app_db), gateways, rasas)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0
    pids = [pid]
    with open(f"/proc/{pid}/task/{pid}/children", encoding="utf-8") as children:
        pids += [int(p) for p in children.read().split()]
    for one in pids:
        with open(f"/proc/{one}/status", encoding="utf-8") as status:
            total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return total / 1024


async def under_fault(live: LiveStack, users: int, before: float, drain: float, seed: int,
                      killed: tuple[str, ...] = KILLED) -> list[object]:
    """Users talk; after `before` s the `killed` replicas are killed together; once the
    supervisor has them back, `before` s more; then the backlog drains."""
    (total0, _, sent0), (calls0, fallbacks0) = await settled_counts(live, drain)
    result = StepResult(users)
    stop = asyncio.Event()
    rng = random.Random(seed)
    sup = live.stack.supervisor
    async with httpx.AsyncClient(timeout=10) as client:
        begin = time.monotonic()
        loops = [asyncio.create_task(conversation_loop(client, live, f"Ureplica{n:03d}", rng,
                                                       result, stop))
                 for n in range(users)]
        await asyncio.sleep(before)
        restarts = {name: sup.restarts[name] for name in killed}
        killed_at = time.monotonic()
        for name in killed:
            await asyncio.to_thread(kill, live, name)
        back = []
        for name in killed:
            await asyncio.to_thread(restarted_by_supervisor, live, name, restarts[name])
            back.append(round(time.monotonic() - killed_at, 1))
        await asyncio.sleep(before)
        stop.set()
        await asyncio.gather(*loops)
        loaded_s = time.monotonic() - begin
    refused = f"{result.errors} ({result.redelivered})"
    drained_s = await wait_drained(live, drain)
    (total, unfinished, sent), (calls, fallbacks) = await settled_counts(live, 10)
    return [" + ".join(killed), round(loaded_s, 1), total - total0, refused, result.answered,
            fallbacks - fallbacks0, unfinished, (calls - calls0) - (sent - sent0),
            round(result.answered / loaded_s, 2), round(drained_s, 1),
            ", ".join(f"{b:g}" for b in back)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--before", type=float, default=15.0,
                        help="seconds of load before the kill and after both are back")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to drain")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL") or
                        "postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when an accepted event is lost or a message duplicated")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    pinned = os.environ.get("SAPHAN_BENCH_MODEL")
    model = Path(pinned) if pinned else ensure_model()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="saphan-replicas-") as work, \
            replica_stack(Path(work), args.postgres_url, model) as r:
        startup_s = time.monotonic() - started
        sup = r.live.stack.supervisor
        memory = {name: rss_mb(sup.procs[name].pid) for name in ("rasa-a", "rasa-b")}
        threading.Thread(target=sup.watch, daemon=True).start()
        row = asyncio.run(under_fault(r.live, args.users, args.before, args.drain, seed=21))
        spread = {"gateways": sorted(r.gateways.connections.values()),
                  "rasa": sorted(r.rasas.connections.values())}
    notes = [
        f"2 gateways + 2 Rasa + 1 action server (`python -m reliability.replicas --users "
        f"{args.users} --before {args.before:g}`, `make reliability-replicas`): app database "
        "and Rasa tracker store on PostgreSQL, Rasa's lock store on Redis with a password and "
        f"database {REDIS_DB}; each pair behind a loopback round-robin balancer (the simulated "
        "LINE sends to the gateways' one, the gateways to the Rasa one).",
        f"{args.users} users in short conversations (2-6 messages), a message ~0.2 s after "
        f"the answer; after {args.before:g} s gateway-a and rasa-a SIGKILLed (process group) "
        f"together, restarted by the real supervisor; {args.before:g} s more load after both "
        "are healthy ('back s' = kill to healthy).",
        f"Connections per backend: gateways {spread['gateways']}, Rasa {spread['rasa']}; "
        "Rasa resident memory at start: " + ", ".join(f"{n} {mb:.0f} MB"
                                                        for n, mb in memory.items())
        + f"; start-up of the whole group {startup_s:.0f} s.",
        "'refused (redelivered)' = webhooks refused when the balancer's connection to the "
        "killed gateway dropped, and how many the simulated LINE redelivery got accepted; "
        "'unfinished (lost)' = accepted events not done after the drain; 'duplicates' = LINE "
        "deliveries beyond the outbox batches sent.",
    ]
    publish("Replicas: 2 gateways + 2 Rasa, one of each killed (make reliability-replicas)",
            table(HEADERS, [row]), notes, write=not args.no_write)
    if args.check and (row[LOST] or row[DUPLICATES]):
        print(f"FAILED: {row[LOST]} lost, {row[DUPLICATES]} duplicates", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
