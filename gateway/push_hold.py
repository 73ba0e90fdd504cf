"""Pushes held while a LINE channel's monthly message limit is used up.

At the limit LINE refuses every push with 429 "You have reached your monthly limit." until the
month ends (or the plan is raised): retrying within seconds cannot help and would only hold the
person's later messages. So a push refused that way, and every push to that channel after it,
is *held*: its outbox batch is kept (`outbox.mark_held`) and the person's event is finished, so
later messages are answered with their (free) reply tokens. Held batches are pushed again,
oldest first with their retry keys, when the hold ends: after `line_quota_hold_s`, at the start
of the next month (LINE's month, Japan time), or as soon as a quota read
(`gateway.line_quota`) shows room. Each change is logged, counted in `/metrics`
(`saphan_line_pushes_held`), shown in `/healthz` and announced to the dashboard (`on_change`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import outbox
from gateway.channels import Channel
from gateway.line_sender import LineRejected, LineSender, LineSendError, QuotaExhausted
from gateway.models import OutboxMessage
from gateway.transactions import persist, run
from saphan.db import utcnow
from saphan.settings import Settings

log = logging.getLogger("saphan.gateway.push_hold")
#: LINE counts messages per calendar month in Japan time.
LINE_MONTH_ZONE = ZoneInfo("Asia/Tokyo")
FLUSH_CHECK_S = 30.0  # how often ended holds and batches held by an earlier process are looked for
FLUSH_BATCH = 50


def held_channels_in(session: Session) -> list[str]:
    """The channels with pushes held now, from the outbox (so every replica, and one started
    after the hold began, sees the same): the dashboard queue's banner."""
    return list(session.scalars(
        select(OutboxMessage.channel).distinct()
        .where(OutboxMessage.method == outbox.HELD, OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.channel)))


def next_month_start(now: datetime) -> datetime:
    """When LINE's monthly count starts again after `now` (UTC, aware)."""
    local = now.astimezone(LINE_MONTH_ZONE)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=LINE_MONTH_ZONE).astimezone(now.tzinfo)


class PushHold:
    """Which channels' pushes are held, and the task that sends held batches later."""

    def __init__(self, settings: Settings, channels: Iterable[Channel], sender: LineSender,
                 on_change: Callable[[str, bool], None] | None = None) -> None:
        self.hold_s = settings.line_quota_hold_s
        self.channels = {c.name: c for c in channels if not c.is_simulator}
        self.sender = sender
        self.on_change = on_change
        self._until: dict[str, datetime] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- state -----------------------------------------------------------------------------
    def held(self, channel: str) -> bool:
        """Whether pushes to `channel` wait now (an ended hold is lifted by the flusher)."""
        until = self._until.get(channel)
        return until is not None and utcnow() < until

    def held_channels(self) -> list[str]:
        return sorted(name for name in self._until if self.held(name))

    def hold(self, channel: str) -> None:
        """LINE said the monthly limit is reached: hold the channel's pushes."""
        now = utcnow()
        until = min(now + timedelta(seconds=self.hold_s), next_month_start(now))
        first = channel not in self._until
        self._until[channel] = until
        if first:
            log.warning("LINE channel %s reached its monthly message limit: pushes are held "
                        "(replies still go) until %s or a quota read shows room",
                        channel, until.isoformat(timespec="seconds"))
            self._changed(channel, True)

    def release(self, channel: str) -> None:
        """The quota has room again: send the held batches now."""
        if self._until.pop(channel, None) is not None:
            log.warning("LINE channel %s: pushes resume", channel)
            self._changed(channel, False)
        self._wake.set()

    def quota_read(self, channel: str, limit: int | None, used: int) -> None:
        """A quota read (`gateway.line_quota`): room left lifts the hold."""
        if channel in self._until and (limit is None or used < limit):
            self.release(channel)

    def _changed(self, channel: str, held: bool) -> None:
        if self.on_change is not None:
            try:
                self.on_change(channel, held)
            except Exception:
                log.exception("announcing the push hold of %s failed", channel)

    # -- sending held batches later ----------------------------------------------------------
    def start(self) -> None:
        if self.channels:
            self._task = asyncio.create_task(self._loop(), name="line-push-hold")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await self.flush()
            except Exception:
                log.exception("sending held LINE pushes failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_CHECK_S):
                    await self._wake.wait()

    async def flush(self) -> int:
        """Push the held batches of every channel not held now (a hold that ended is tried
        with its oldest batch first). Returns how many were sent."""
        sent = 0
        for name, channel in self.channels.items():
            if self.held(name):
                continue
            ended = name in self._until
            while True:
                items = await run(outbox.held, name, FLUSH_BATCH)
                if not items:
                    break
                for row_id, user_id, item in items:
                    try:
                        await self.sender.push(channel, user_id, item.messages, item.retry_key)
                    except QuotaExhausted:
                        self.hold(name)
                        return sent
                    except LineRejected as exc:
                        log.warning("held batch %s refused by LINE: %s", row_id, exc)
                        await persist(outbox.mark_refused, row_id)
                        continue
                    except LineSendError as exc:
                        log.warning("held batches of %s not sent yet: %s", name, exc)
                        return sent
                    await persist(outbox.mark_sent, row_id, "push")
                    sent += 1
                    if ended:
                        ended = False
                        self.release(name)
            if ended:  # nothing was waiting: the hold simply ends
                self.release(name)
        return sent
