"""The directory data shipped with Saphan (data/*.yaml, except the gazetteer)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from referral_directory.files import read_records
from referral_directory.records import ServiceRecord
from referral_directory.store import ImportReport, upsert_records
from saphan.db import make_engine

DATA_DIR = Path(__file__).resolve().parent / "data"
BUNDLED_FILES: tuple[str, ...] = ("hotlines.yaml", "embassies.yaml", "provincial_samples.yaml")


def bundled_records() -> list[ServiceRecord]:
    """All shipped entries, validated."""
    return [r for name in BUNDLED_FILES for r in read_records(DATA_DIR / name)]


def load_bundled(target: Session | Engine | str) -> ImportReport:
    """Create or update the shipped entries (idempotent; other entries are left alone).

    `target`: a session (caller commits), an engine, or a database URL.
    """
    records = bundled_records()
    if isinstance(target, Session):
        return upsert_records(target, records)
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with Session(engine) as session, session.begin():
            return upsert_records(session, records)
    finally:
        if isinstance(target, str):
            engine.dispose()
