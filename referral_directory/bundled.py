"""The directory data shipped with Saphan (data/*.yaml, except the gazetteer)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from referral_directory.files import read_records
from referral_directory.gazetteer import provinces, town_named_in
from referral_directory.history import kept_in_dashboard
from referral_directory.records import ServiceRecord
from referral_directory.samples import samples_allowed
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


def place(record: ServiceRecord) -> ServiceRecord:
    """A local entry without coordinates placed at its town's point (the town named in its
    district or address, `data/towns.yaml`), else at its province's point, so searches from a
    shared location find it; cards say "about N km" for such points (`is_gazetteer_point`)."""
    if record.latitude is not None or record.national or not record.province:
        return record
    town = town_named_in(" ".join(p for p in (record.district, record.address) if p))
    if town is not None and town.province == record.province:
        point = (town.latitude, town.longitude)
    else:
        province = provinces()[record.province]
        point = (province.latitude, province.longitude)
    return record.model_copy(update={"latitude": point[0], "longitude": point[1]})


def bundled_records(*, include_samples: bool = True) -> list[ServiceRecord]:
    """The shipped entries, validated and placed (`place`); without the samples unless
    `include_samples`."""
    return [place(r) for name in BUNDLED_FILES for r in read_records(DATA_DIR / name)
            if include_samples or not r.sample]


def load_bundled(session: Session, *, include_samples: bool | None = None) -> ImportReport:
    """Create or update the shipped entries in the caller's transaction (idempotent; other
    entries are left alone). Samples only where they are allowed (not in production). An entry
    an agency has changed in the dashboard (it has a history) is left as the agency keeps it."""
    if include_samples is None:
        include_samples = samples_allowed()
    records = bundled_records(include_samples=include_samples)
    kept = kept_in_dashboard(session, [r.id for r in records])
    return upsert_records(session, [r for r in records if r.id not in kept])
