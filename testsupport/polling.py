"""Polling for tests: wait until a condition holds (the one loop every helper uses)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(condition: Callable[[], Any], timeout: float = 10.0,
             describe: Callable[[], str] | None = None) -> Any:
    """Poll `condition` until it is truthy and return its value; TimeoutError after `timeout`
    seconds (with `describe()` in the message, e.g. what a fake server received)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    detail = f"; {describe()}" if describe else ""
    raise TimeoutError(f"condition not met in {timeout}s{detail}")
