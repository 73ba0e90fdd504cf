"""Retention, orchestrated in one place (docs/privacy.md): each owner purges its own tables
(`RetentionStep.purge(session, cutoff)`: outbox, inbox, cases, notification windows, practice
runs — the list is composed in `gateway.app.retention_steps`), all in one transaction. The
gateway runs it every `retention_check_s` (`RetentionJob`, started in its lifespan); `saphan
retention run [--dry-run]` runs the same steps once (a dry run rolls the transaction back)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from saphan.db import get_engine, scrub_deleted, session_scope, utcnow

log = logging.getLogger("saphan.retention")
#: The tables the steps delete from or blank (scrubbed from the database files afterwards).
PURGED_TABLES = ("inbox_events", "outbox_messages", "cases", "case_messages", "case_notes",
                 "case_referrals", "case_notification_windows", "practice_runs")


@dataclass(frozen=True)
class RetentionStep:
    """An owner's purge of what is older than `keep` (the cutoff is `now - keep`)."""

    purge: Callable[[Session, datetime], dict[str, int]]
    keep: timedelta


def run_retention(steps: Sequence[RetentionStep], *, dry_run: bool = False,
                  now: datetime | None = None) -> dict[str, int]:
    """Every step in one transaction; the counts of what was purged and what was kept. After
    a purge the deleted bytes are scrubbed from the database files (`scrub_deleted`)."""
    now = now or utcnow()
    report: dict[str, int] = {}
    with session_scope() as session:
        for step in steps:
            report.update(step.purge(session, now - step.keep))
        if dry_run:
            session.rollback()
    purged = any(v for k, v in report.items() if "kept" not in k)
    if purged and not dry_run:
        log.info("after retention: %s", scrub_deleted(get_engine(), PURGED_TABLES))
    return report


class RetentionJob:
    """The periodic run inside the gateway (several replicas may run it: each step is an
    idempotent delete or update)."""

    def __init__(self, steps: Sequence[RetentionStep], interval_s: float) -> None:
        self.steps = list(steps)
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval_s > 0:
            self._task = asyncio.create_task(self._loop())

    async def run_once(self) -> dict[str, int]:
        report = await asyncio.to_thread(run_retention, self.steps)
        log.info("retention: %s", ", ".join(f"{k}={v}" for k, v in sorted(report.items())))
        return report

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("retention run failed")
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
