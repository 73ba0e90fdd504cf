"""`reliability.suites`: a JUnit XML report becomes one results row per test module."""

from __future__ import annotations

from pathlib import Path

from reliability.suites import summarise

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
 <testcase classname="tests.reliability.test_reliability_fuzz" name="a" time="0.50"/>
 <testcase classname="tests.reliability.test_reliability_fuzz" name="b" time="0.25">
  <failure message="boom"/></testcase>
 <testcase classname="tests.reliability.test_reliability_security" name="c" time="1.0"/>
 <testcase classname="tests.reliability.test_reliability_db_outage" name="d" time="0">
  <skipped message="TEST_DATABASE_URL not set"/></testcase>
 <testcase classname="tests.reliability.test_reliability_security" name="e" time="2.0">
  <error message="setup failed"/></testcase>
</testsuite></testsuites>
"""


def test_rows_count_outcomes_per_module(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(REPORT, encoding="utf-8")
    assert summarise(report) == [
        ["test_reliability_db_outage", 1, 0, 0, 1, 0.0],
        ["test_reliability_fuzz", 2, 1, 1, 0, 0.8],
        ["test_reliability_security", 2, 1, 1, 0, 3.0],
    ]
