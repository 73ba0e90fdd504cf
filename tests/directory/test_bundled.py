"""The shipped directory data: coverage, honesty about samples, hotlines from the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from referral_directory.bundled import bundled_records, load_bundled
from referral_directory.models import Service
from referral_directory.vocab import SERVICE_TYPES
from saphan.paths import ROOT

REFERENCE = ROOT.parent / "shared" / "reference" / "screening.md"  # the developer guide
MIGRANT_PROVINCES = [
    "Bangkok", "Samut Sakhon", "Samut Prakan", "Tak", "Chiang Mai", "Chiang Rai", "Songkhla",
    "Ranong", "Chon Buri", "Rayong", "Surat Thani", "Phuket", "Nakhon Si Thammarat",
    "Kanchanaburi", "Sa Kaeo",
]  # fmt: skip


def _reference_hotlines() -> dict[str, str]:
    """number -> confidence, from the table in the screening reference."""
    rows = re.findall(r"^\| (\d{3,4}) \| .*? \| ([a-z-]+) \|$", REFERENCE.read_text(), re.M)
    return dict(rows)


def test_every_type_in_every_migrant_province() -> None:
    present = {(r.province, r.type) for r in bundled_records() if not r.national}
    missing = [(p, t) for p in MIGRANT_PROVINCES for t in SERVICE_TYPES if (p, t) not in present]
    assert missing == []


def test_embassies_of_the_four_countries() -> None:
    names = " ".join(r.name_en for r in bundled_records() if r.type == "embassy" and r.national)
    for country in ("Myanmar", "Cambodia", "Lao", "Viet Nam"):
        assert country in names


@pytest.mark.skipif(not REFERENCE.exists(), reason="screening reference not checked out")
def test_hotlines_match_reference_and_1191_is_not_shipped() -> None:
    reference = _reference_hotlines()
    assert reference["1300"] == "high"  # the parser reads the table
    shipped = {p: r for r in bundled_records() for p in r.phones if len(p) <= 4}
    assert "1191" not in shipped
    for number in set(reference) - {"1191"}:  # every number of the reference still ships
        rec = shipped[number]
        assert not rec.sample and "screening reference" in rec.source
    # Issue 20: numbers beyond the reference (199, 1111, 1422) and every confidence now come
    # from the directory sources, row by row (tests/directory/test_sourced.py).


def test_unverified_entries_are_samples_with_a_source() -> None:
    for r in bundled_records():
        assert r.source
        if r.confidence == "low":  # a sample, or a real entry that says where it comes from
            assert r.sample or (r.source_url and r.source_note), r.id
        if r.sample:
            assert not r.phones, f"{r.id}: sample entries must not carry invented numbers"


def test_load_is_idempotent(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        first = load_bundled(s)
    assert first.created == len(bundled_records()) and first.updated == 0
    with Session(engine) as s, s.begin():
        second = load_bundled(s)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    with Session(engine) as s:
        assert s.scalar(select(func.count(Service.id))) == first.created


def test_prepare_database_migrates_and_loads_bundled(tmp_path: Path) -> None:
    from cli.bootstrap import prepare_database
    from saphan.db import make_engine
    from saphan.settings import Settings
    from testsupport.databases import sqlite_url

    settings = Settings(database_url=sqlite_url(tmp_path))
    prepare_database(settings)
    prepare_database(settings)  # second start: nothing duplicated
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count(Service.id))) == len(bundled_records())
    engine.dispose()
