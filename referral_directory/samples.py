"""Sample entries are for trying the system: never loaded, stored, searched or shown in production.

Samples (`sample: true`) describe the kind of office that exists with unverified details; a
migrant who goes to one may find nothing there. In development and demo mode they are loaded
and shown with a label (`SAMPLE_NOTICE`, the catalogue's `sample_label`); in production
(`SAPHAN_ENVIRONMENT=production`) the bundled samples are not loaded, imports and the API refuse
them, every search leaves them out, and a start with samples still in the database (from an
earlier development run) says so loudly and names the command that removes them
(`store.delete_samples`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_directory.models import Service
from saphan.settings import Settings, get_settings

REMOVE_COMMAND = "saphan directory remove-samples"


class SamplesNotAllowedError(ValueError):
    """Sample entries offered to a production directory."""


def samples_allowed(settings: Settings | None = None) -> bool:
    """Whether sample entries may be loaded and shown (everywhere but production)."""
    return not (settings or get_settings()).production


def refuse_samples(ids: list[str], settings: Settings | None = None) -> None:
    """Raise `SamplesNotAllowedError` naming the sample entries when samples are not allowed."""
    if ids and not samples_allowed(settings):
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        raise SamplesNotAllowedError(
            f"sample entries are not allowed in production: {shown} "
            "(set sample: false only for verified entries)")


def count_samples(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Service)
                          .where(Service.sample.is_(True))) or 0


def production_warning(session: Session, settings: Settings | None = None) -> str | None:
    """The loud start-up warning when production finds sample entries in its database."""
    if samples_allowed(settings):
        return None
    found = count_samples(session)
    if not found:
        return None
    return (f"WARNING: {found} sample directory entries are in the production database; they "
            f"are hidden from every search and page. Remove them with: {REMOVE_COMMAND}")
