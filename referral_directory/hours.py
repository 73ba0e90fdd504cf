"""Opening hours: a small text form, parsed and checked in Asia/Bangkok time.

Form: comma-separated weekday ranges, e.g. ``mon-fri 08:30-16:30, sat 09:00-12:00``.
Days: mon tue wed thu fri sat sun; ``daily`` = every day. A range may end at 24:00.
24-hour services use the `is_24h` flag instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from referral_directory.vocab import TIMEZONE

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<days>daily|[a-z]{3}(?:-[a-z]{3})?)\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$"
)


@dataclass(frozen=True)
class Opening:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # minutes after midnight, > start


def _minutes(text: str, *, allow_24: bool) -> int:
    hours, minutes = (int(x) for x in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"invalid time {text!r}")
    return hours * 60 + minutes


def _days(text: str) -> frozenset[int]:
    if text == "daily":
        return frozenset(range(7))
    first, _, last = text.partition("-")
    for day in (first, last or first):
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r} (use {', '.join(DAYS)} or daily)")
    a, b = DAYS.index(first), DAYS.index(last or first)
    return frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(0, b + 1)])


@lru_cache(maxsize=4096)
def parse_hours(text: str) -> tuple[Opening, ...]:
    """Parse the text form; raise ValueError naming the bad part (cached: search ranks every
    candidate by "open now" and hours repeat)."""
    result = []
    for raw in text.split(","):
        part = " ".join(raw.strip().lower().split())
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            raise ValueError(f"cannot read {part!r}; expected e.g. 'mon-fri 08:30-16:30'")
        start = _minutes(match["start"], allow_24=False)
        end = _minutes(match["end"], allow_24=True)
        if end <= start:
            raise ValueError(f"{part!r}: closing time must be after opening time")
        result.append(Opening(_days(match["days"]), start, end))
    return tuple(result)


def hours_parts(text: str) -> list[tuple[tuple[str, ...], str, str]]:
    """The parts of a valid text as written, for showing it in words: (days, start, end) with
    days ("daily",), ("sat",) or ("mon", "fri")."""
    parse_hours(text)  # raises on a bad text
    parts = []
    for raw in text.split(","):
        match = _PART.match(" ".join(raw.strip().lower().split()))
        if match:
            parts.append((tuple(match["days"].split("-")), match["start"], match["end"]))
    return parts


def open_at(at: datetime) -> Callable[[str | None, bool], bool]:
    """`is_open` for one moment, the time zone work done once (search checks every
    candidate)."""
    zone = ZoneInfo(TIMEZONE)
    local = at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)
    minute, weekday = local.hour * 60 + local.minute, local.weekday()

    def check(hours: str | None, is_24h: bool) -> bool:
        if is_24h:
            return True
        if not hours:
            return False
        return any(weekday in o.days and o.start <= minute < o.end for o in parse_hours(hours))

    return check


def is_open(hours: str | None, is_24h: bool, at: datetime) -> bool:
    """Whether a service is open at `at` (naive datetimes are taken as Bangkok time)."""
    return open_at(at)(hours, is_24h)


def now_bangkok() -> datetime:
    return datetime.now(ZoneInfo(TIMEZONE))


__all__ = ["DAYS", "Opening", "hours_parts", "is_open", "now_bangkok", "open_at", "parse_hours"]
