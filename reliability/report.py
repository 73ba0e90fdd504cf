"""Results tables: printed, and appended to benchmarks/reliability.md with date and machine."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

from saphan.paths import ROOT

RESULTS = ROOT / "benchmarks" / "reliability.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), Python "
            f"{platform.python_version()}, load average {load}")


def table(headers: list[str], rows: list[list[object]]) -> str:
    def cell(value: object) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(title: str, body: str, notes: list[str], write: bool) -> None:
    """Print a section; with `write`, also append it to benchmarks/reliability.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {title} ({stamp})\n\nMachine: {machine()}\n\n{body}\n"
    section += "".join(f"\n- {n}" for n in notes) + "\n"
    print(section)
    if write:
        if not RESULTS.exists():
            RESULTS.write_text("# Reliability results\n\nWritten by `make bench-load` and "
                               "`make reliability` (reliability/*.py); newest last.\n",
                               encoding="utf-8")
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + section)
