"""Opening hours: parsing, errors, and "open now" in Bangkok time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from referral_directory.hours import is_open, parse_hours

# 2026-11-23 is a Monday.
MON_10 = datetime(2026, 11, 23, 10, 0)
MON_17 = datetime(2026, 11, 23, 17, 0)
SAT_10 = datetime(2026, 11, 28, 10, 0)
SUN_10 = datetime(2026, 11, 29, 10, 0)


def test_weekday_ranges() -> None:
    hours = "mon-fri 08:30-16:30, sat 09:00-12:00"
    assert is_open(hours, False, MON_10)
    assert not is_open(hours, False, MON_17)
    assert is_open(hours, False, SAT_10)
    assert not is_open(hours, False, SUN_10)


def test_closing_minute_is_exclusive_and_24_allowed() -> None:
    assert not is_open("mon 08:00-10:00", False, MON_10)
    assert is_open("daily 20:00-24:00", False, datetime(2026, 11, 23, 23, 59))


def test_aware_time_is_converted_to_bangkok() -> None:
    # 03:00 UTC = 10:00 in Bangkok (UTC+7)
    assert is_open("mon 09:00-11:00", False, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    assert not is_open("mon 09:00-11:00", False, datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


def test_wrapping_day_range() -> None:
    assert is_open("fri-mon 09:00-17:00", False, SUN_10)
    assert not is_open("fri-mon 09:00-17:00", False, datetime(2026, 11, 25, 10, 0))


def test_24h_flag_and_missing_hours() -> None:
    assert is_open(None, True, SUN_10)
    assert not is_open(None, False, MON_10)


@pytest.mark.parametrize(
    "text", ["mon-fri 8:30-16:30", "funday 09:00-10:00", "mon 10:00-09:00", "mon 09:60-10:00"]
)
def test_bad_hours_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(text)
