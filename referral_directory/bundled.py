"""The directory data shipped with Saphan (data/*.yaml, except the gazetteer)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from referral_directory.files import read_records
from referral_directory.records import ServiceRecord
from referral_directory.store import ImportReport, upsert_records

DATA_DIR = Path(__file__).resolve().parent / "data"
# hotlines.yaml and sourced.yaml: real entries from ../shared/reference/directory_sources.md;
# embassies.yaml and provincial_samples.yaml: sample entries (sample: true).
BUNDLED_FILES: tuple[str, ...] = (
    "hotlines.yaml",
    "sourced.yaml",
    "embassies.yaml",
    "provincial_samples.yaml",
)


def bundled_records() -> list[ServiceRecord]:
    """All shipped entries, validated."""
    return [r for name in BUNDLED_FILES for r in read_records(DATA_DIR / name)]


def load_bundled(session: Session) -> ImportReport:
    """Create or update the shipped entries in the caller's transaction (idempotent; other
    entries are left alone)."""
    return upsert_records(session, bundled_records())
