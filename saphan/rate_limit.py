"""An in-process sliding-window rate limit per key (e.g. per client address)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque


class WindowLimiter:
    """At most `limit` events per `window_s` seconds for each key; the least recently seen keys
    are forgotten beyond `max_keys`, so memory stays bounded whoever calls."""

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit, self.window_s, self.max_keys = limit, window_s, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Count an event for `key`; False when it is over the limit (not counted then)."""
        now = time.monotonic()
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        self._hits[key] = hits
        if len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True
