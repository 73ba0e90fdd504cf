"""Soak: a constant load for `--minutes` (default 10) at `--users` (pick half the sustained
maximum from `make bench-load`); checks nothing is lost and each process's memory (RSS of
its process group) grows at most 10% after the warm-up.

    PYTHONPATH=. .venv/bin/python -m reliability.soak --minutes 10 --users 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from reliability.live_stack import LiveStack, live_stack
from reliability.load import inbox_statuses, percentile, run_step
from reliability.report import publish, table

MAX_GROWTH = 0.10


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and every process in its process group, in MB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != pid:
                continue
            with open(f"/proc/{entry}/status", encoding="utf-8") as status:
                total += next(int(line.split()[1]) for line in status
                              if line.startswith("VmRSS:"))
        except (OSError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


async def soak(live: LiveStack, minutes: float, users: int,
               sample_s: float) -> tuple[list, dict[str, list[float]]]:
    pids = live.pids()
    samples: dict[str, list[float]] = {name: [] for name in pids}
    deadline = time.monotonic() + minutes * 60
    results = []
    step = 0
    while time.monotonic() < deadline:
        seconds = min(sample_s, deadline - time.monotonic())
        results.append(await run_step(live, users, seconds, 10**9, seed=step))
        step += 1
        for name, pid in pids.items():
            samples[name].append(rss_mb(pid))
    return results, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=0.2, help="fraction of the run")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="saphan-soak-") as work, \
            live_stack(Path(work)) as live:
        results, samples = asyncio.run(soak(live, args.minutes, args.users,
                                            args.sample_seconds))
        time.sleep(5)  # the last answers land
        statuses = inbox_statuses(live.stack.settings.database_url)
    sent = sum(r.sent for r in results)
    answered = sum(r.answered for r in results)
    e2e = [x for r in results for x in r.e2e_ms]
    seconds = sum(r.seconds for r in results)
    rows = []
    for name, values in samples.items():
        after_warmup = values[int(len(values) * args.warmup):] or values
        growth = (after_warmup[-1] - after_warmup[0]) / after_warmup[0] if after_warmup[0] else 0
        rows.append([name, round(after_warmup[0], 1), round(values[-1], 1),
                     f"{growth:+.1%}", "ok" if growth <= MAX_GROWTH else "FAIL"])
    lost = sum(n for s, n in statuses.items() if s not in ("done", "done_silent"))
    errors = sum(r.errors for r in results)
    memory = "ok" if all(r[-1] == "ok" for r in rows) else "FAIL"
    print(f"soak: lost {lost}, unanswered {sent - answered}, webhook errors {errors}, "
          f"memory {memory}", flush=True)
    notes = [f"{args.minutes:g} min at {args.users} users: sent {sent}, answered {answered} "
             f"(unanswered {sent - answered}), webhook errors {errors}, "
             f"{answered / seconds if seconds else 0:.1f} msgs/s, e2e p95 "
             f"{percentile(e2e, 95):.0f} ms; lost (accepted, not done): {lost}; inbox at the "
             f"end: {statuses}.",
             f"Memory = RSS of each process group, sampled every {args.sample_seconds:g} s; "
             f"growth measured after the first {args.warmup:.0%} (warm-up); limit "
             f"{MAX_GROWTH:.0%}.", *args.note]
    publish("Soak", table(["process", "MB after warm-up", "MB at end", "growth", "verdict"],
                          rows), notes, write=not args.no_write)


if __name__ == "__main__":
    main()
