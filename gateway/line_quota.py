"""LINE's monthly message quota per channel, read every `line_quota_check_s`.

Pushes (caseworker replies, notifications, answers after the reply token expired) count
against a monthly limit; when it is used up LINE refuses every push with 429 until the month
ends. `GET /v2/bot/message/quota` gives the limit (`{"type": "limited", "value": N}` or
`{"type": "none"}`), `GET /v2/bot/message/quota/consumption` the messages sent this month
(`{"totalUsage": N}`). The numbers go to `/metrics` (`saphan_line_quota_*`) and a warning is
logged when a channel passes `line_quota_warn_ratio` of its limit (once per crossing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from gateway.channels import Channel
from gateway.metrics import Metrics
from saphan.settings import Settings

log = logging.getLogger("saphan.gateway.line_quota")
QUOTA_PATH = "/v2/bot/message/quota"
CONSUMPTION_PATH = "/v2/bot/message/quota/consumption"


class QuotaUnavailable(RuntimeError):
    """LINE did not give the quota (network error, non-200 or an unexpected body)."""


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: the channel has no monthly limit
    used: int

    @property
    def ratio(self) -> float:
        return self.used / self.limit if self.limit else 0.0


async def read_quota(client: httpx.AsyncClient, base_url: str, channel: Channel) -> Quota:
    """The channel's monthly limit and use, from LINE."""
    headers = {"Authorization": f"Bearer {channel.access_token}"}
    try:
        limit, usage = await asyncio.gather(client.get(f"{base_url}{QUOTA_PATH}", headers=headers),
                                            client.get(f"{base_url}{CONSUMPTION_PATH}",
                                                       headers=headers))
    except httpx.HTTPError as exc:
        raise QuotaUnavailable(type(exc).__name__) from exc
    for response in (limit, usage):
        if response.status_code != 200:
            raise QuotaUnavailable(f"HTTP {response.status_code}")
    try:
        quota, consumption = limit.json(), usage.json()
        used = int(consumption["totalUsage"])
        if quota["type"] == "none":
            return Quota(None, used)
        return Quota(int(quota["value"]), used)
    except (ValueError, KeyError, TypeError) as exc:
        raise QuotaUnavailable("unexpected answer") from exc


class QuotaWatcher:
    """Reads every LINE channel's quota now and then (the simulator has none)."""

    def __init__(self, settings: Settings, channels: Iterable[Channel], metrics: Metrics,
                 on_read: Callable[[str, int | None, int], None] | None = None) -> None:
        """`on_read(channel, limit, used)` after each successful read (the push hold lifts
        when there is room again)."""
        self.base_url = settings.line_api_base_url.rstrip("/")
        self.interval_s = settings.line_quota_check_s
        self.warn_ratio = settings.line_quota_warn_ratio
        self.channels = [c for c in channels if not c.is_simulator and c.access_token]
        self.metrics = metrics
        self.on_read = on_read
        self.client = httpx.AsyncClient(timeout=10.0)
        self._warned: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval_s > 0 and self.channels:
            self._task = asyncio.create_task(self._loop(), name="line-quota")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()

    async def _loop(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval_s)

    async def check(self) -> dict[str, Quota]:
        """Read each channel's quota, update the metrics and warn; the quotas read."""
        read: dict[str, Quota] = {}
        for channel in self.channels:
            try:
                quota = await read_quota(self.client, self.base_url, channel)
            except QuotaUnavailable as exc:
                log.warning("LINE quota of channel %s unavailable: %s", channel.name, exc)
                self.metrics.inc("saphan_line_quota_check_errors_total", channel=channel.name)
                continue
            read[channel.name] = quota
            self._record(channel.name, quota)
            if self.on_read is not None:
                self.on_read(channel.name, quota.limit, quota.used)
        return read

    def _record(self, name: str, quota: Quota) -> None:
        self.metrics.set("saphan_line_quota_limit",
                         -1 if quota.limit is None else quota.limit, channel=name)
        self.metrics.set("saphan_line_quota_used", quota.used, channel=name)
        self.metrics.set("saphan_line_quota_used_ratio", quota.ratio, channel=name)
        if quota.limit is not None and quota.ratio >= self.warn_ratio:
            if name not in self._warned:
                self._warned.add(name)
                log.warning("LINE channel %s used %d of its %d messages this month (%.0f%%); "
                            "pushes fail with 429 when the limit is reached",
                            name, quota.used, quota.limit, 100 * quota.ratio)
        else:
            self._warned.discard(name)
