"""Stale entries: services nobody has verified for `directory_stale_days` days (setting
`SAPHAN_DIRECTORY_STALE_DAYS`, default 180, the issue's number). Cards mark them "call to
confirm" (`cards.needs_confirming`), the dashboard's directory flags them, and
`saphan directory stale` lists them per agency so each agency knows what to re-check."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from referral_directory.hours import now_bangkok
from referral_directory.models import Service
from referral_directory.samples import samples_allowed
from saphan.settings import get_settings

#: The default of the setting (and of the cards' rule when no settings are at hand).
STALE_DAYS = 180


def stale_days() -> int:
    """Days without verification after which an entry is stale (the setting)."""
    return get_settings().directory_stale_days


def today() -> date:
    """The date in Bangkok (verification days are Bangkok days)."""
    return now_bangkok().date()


def cutoff(day: date | None = None, days: int | None = None) -> date:
    """Entries last verified before this date are stale."""
    return (day or today()) - timedelta(days=stale_days() if days is None else days)


def is_stale(last_verified: date | None, day: date | None = None,
             days: int | None = None) -> bool:
    """Never verified, or verified before `cutoff`."""
    return last_verified is None or last_verified < cutoff(day, days)


def stale_services(session: Session, day: date | None = None, days: int | None = None,
                   samples: bool | None = None) -> list[Service]:
    """Services in use (not retired) that are stale, oldest verification first; samples only
    where they are allowed (never in production)."""
    stmt = (select(Service).options(selectinload(Service.organisation))
            .where(Service.retired_on.is_(None),
                   or_(Service.last_verified.is_(None),
                       Service.last_verified < cutoff(day, days)))
            .order_by(Service.last_verified.is_not(None), Service.last_verified,
                      Service.external_id))
    if not (samples_allowed() if samples is None else samples):
        stmt = stmt.where(Service.sample.is_(False))
    return list(session.scalars(stmt))
