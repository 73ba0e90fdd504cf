"""Run the fuzz, security and outage test suites (tests/reliability) and table their results.

`make reliability` runs this first: pytest with a JUnit XML report, one row per suite (test
module) with its tests passed / failed / skipped and time, appended to
benchmarks/reliability.md like the other measurements. Exits with pytest's status.

    PYTHONPATH=. .venv/bin/python -m reliability.suites [--no-write] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from reliability.report import publish, table
from saphan.paths import ROOT

SUITES = ROOT / "tests" / "reliability"
HEADERS = ["suite", "tests", "passed", "failed", "skipped", "s"]


def summarise(junit_xml: Path) -> list[list[object]]:
    """One row per test module of a JUnit XML report."""
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        suite = case.get("classname", "?").rsplit(".", 1)[-1]
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        row = counts[suite]
        row["tests"] += 1
        row[outcome] += 1
        row["s"] += float(case.get("time") or 0.0)
    return [[suite, int(c["tests"]), int(c["passed"]), int(c["failed"]), int(c["skipped"]),
             round(c["s"], 1)] for suite, c in sorted(counts.items())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="do not append to the results")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="saphan-suites-") as work:
        report = Path(work) / "junit.xml"
        status = subprocess.call([sys.executable, "-m", "pytest", str(SUITES), "-q",
                                  f"--junitxml={report}", *args.pytest_args], cwd=ROOT)
        rows = summarise(report) if report.exists() else []
    notes = ["pytest tests/reliability: fuzz (hostile webhook bodies and messages), OpenAPI "
             "(schemathesis against the full schema, /internal included), security "
             "(forged/replayed webhooks, anonymous access to every route, CSRF, secrets and LINE "
             "ids in logs, production start refused with weak secrets, simulator/docs off in "
             "production, 30 MB bodies, simulator lane, CSV formulas, headers, Rasa and "
             "action-server tokens), database "
             "outage (PostgreSQL; skipped without TEST_DATABASE_URL), Rasa launcher.",
             f"pytest exit status {status}."]
    publish("Fuzz, security and outage suites (make reliability)", table(HEADERS, rows),
            notes, write=not args.no_write)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
