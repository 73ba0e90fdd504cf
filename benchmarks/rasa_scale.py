"""Issue 22 point 4: does the bare Rasa REST path scale with Rasa processes? Prints numbers.

For 1 and then 2 Rasa processes behind the project's loopback balancer
(`reliability.balancer.RoundRobin`, one TCP connection to the next backend in turn), sharing a
PostgreSQL tracker store and a Redis lock store (`saphan/rasa_launch.py` derives the lock store
from `SAPHAN_REDIS_URL`, as in the replica run), with one action server and one gateway (the
actions call its directory and case APIs; SQLite app database): closed-loop users posting to
`/webhooks/rest/webhook` with the metadata the gateway sends, the mix of
`benchmarks/performance.py`, at 4 and 8 users. For each step: msgs/s, p50/p95 latency and CPU
ms per answered message of the Rasa processes (together), the action server, the gateway and
this driver (which runs the balancer's threads).

    PYTHONPATH=. .venv/bin/python benchmarks/rasa_scale.py --seconds 20
    SAPHAN_BENCH_MODEL=/tmp/model.tar.gz ...   # pin one model
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from benchmarks.performance import bare_sender, closed_loop, cpu_ms
from reliability.balancer import RoundRobin
from reliability.live_stack import CHANNEL, Arrivals, LiveStack
from reliability.load import percentile
from reliability.replicas import redis_server
from reliability.report import machine, table
from saphan.processes import action_server_spec, gateway_spec, rasa_spec
from saphan.rasa_model import ensure_model
from saphan.supervisor import Supervisor
from testsupport.databases import migrated_database, postgres_schema_url
from testsupport.fake_line import FakeLine
from testsupport.stack import Stack, free_port, stack_settings

HEADERS = ["Rasa processes", "users", "msgs/s", "p50 ms", "p95 ms", "answered", "unanswered",
           "CPU ms/msg Rasa (all)", "actions", "gateway", "driver+balancer"]


@contextmanager
def rasa_replicas(work: Path, count: int, postgres_url: str, model: Path
                  ) -> Iterator[tuple[LiveStack, dict[str, list[int]]]]:
    """`count` Rasa processes behind a balancer, one action server, one gateway."""
    with ExitStack() as stack:
        line = stack.enter_context(FakeLine())
        app_db = stack.enter_context(migrated_database("sqlite", work))
        tracker_db = stack.enter_context(postgres_schema_url(postgres_url))
        redis_url = stack.enter_context(redis_server())
        ports = [free_port() for _ in range(count)]
        rasas = stack.enter_context(RoundRobin([("127.0.0.1", p) for p in ports]))
        base = stack_settings(app_db, work, tracker_store_url=tracker_db, redis_url=redis_url,
                              line_api_base_url=line.url, line_channels=json.dumps([CHANNEL]),
                              log_level="WARNING")
        specs = [action_server_spec(base),
                 gateway_spec(base.model_copy(update={"rasa_url": rasas.url}))]
        for n, port in enumerate(ports):
            own = base.model_copy(update={"rasa_url": f"http://127.0.0.1:{port}"})
            specs.append(dataclasses.replace(rasa_spec(own, model), name=f"rasa-{n}"))
        out = stack.enter_context(open(work / "stack.log", "a", encoding="utf-8"))
        sup = Supervisor(specs, out=out)
        stack.callback(sup.stop)
        sup.start()
        sup.wait_healthy(timeout=600)
        front = base.model_copy(update={"rasa_url": rasas.url})
        pids = {name: proc.pid for name, proc in sup.procs.items()}
        groups = {"rasa": [p for n, p in pids.items() if n.startswith("rasa")],
                  "actions": [pids["actions"]], "gateway": [pids["gateway"]]}
        yield LiveStack(Stack(front, sup), line, Arrivals(), app_db), groups


def cpu(groups: dict[str, list[int]]) -> dict[str, float]:
    out = {name: sum(cpu_ms(pid) for pid in pids) for name, pids in groups.items()}
    out["driver"] = cpu_ms(os.getpid(), descendants=False)
    return out


async def steps(live: LiveStack, groups: dict[str, list[int]], count: int,
                users_steps: list[int], seconds: float) -> list[list[object]]:
    send = bare_sender(live)
    await closed_loop(send, 2, 5.0, seed=999, prefix="w")  # Rasa's lazy parts, connections
    rows = []
    for users in users_steps:
        before = cpu(groups)
        result = await closed_loop(send, users, seconds, seed=users, prefix=f"s{count}")
        await asyncio.sleep(0.3)
        after = cpu(groups)
        n = max(1, result.answered)
        per = {k: (after[k] - before[k]) / n for k in after}
        row = [count, users, round(result.rate, 1), round(percentile(result.e2e_ms, 50)),
               round(percentile(result.e2e_ms, 95)), result.answered, result.unanswered,
               *(round(per[k], 1) for k in ("rasa", "actions", "gateway", "driver"))]
        print("  " + ", ".join(f"{h} {v}" for h, v in zip(HEADERS, row, strict=True)),
              flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--users", default="4,8")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    pinned = os.environ.get("SAPHAN_BENCH_MODEL")
    model = Path(pinned) if pinned else ensure_model()
    users = [int(x) for x in args.users.split(",")]
    print(f"Machine: {machine()} (cores: {os.cpu_count()}); model {model.name}", flush=True)
    rows: list[list[object]] = []
    for count in (int(x) for x in args.processes.split(",")):
        with tempfile.TemporaryDirectory(prefix="rasa-scale-") as tmp, \
                rasa_replicas(Path(tmp), count, args.postgres_url, model) as (live, groups):
            print(f"{count} Rasa process(es) up: {groups}", flush=True)
            rows += asyncio.run(steps(live, groups, count, users, args.seconds))
    print(f"\nMachine after: {machine()}\n")
    print(table(HEADERS, rows))


if __name__ == "__main__":
    main()
