"""Import and export against the database: one transaction, idempotent, bad files change nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral_directory.files import DirectoryFileError, read_records, write_csv
from referral_directory.models import Organisation, Service
from referral_directory.store import all_records, upsert_records

from .conftest import record

GOOD = (
    "id,type,name_en,organisation_id,organisation_name_en,province,latitude,longitude,"
    "phones,languages,opening_hours,source,confidence,sample\n"
    "g-1,shelter,Shelter A,org-a,Org A,Tak,16.8,99.1,1300,th;my,mon-fri 08:30-16:30,t,low,true\n"
    "g-2,legal_aid,Legal B,org-a,Org A,ตาก,16.9,99.2,+6655123456,th,,t,medium,false\n"
    "g-3,hotline,Line C,,,,,,1300,th,,t,high,false\n"
).replace("g-3,hotline,Line C,,,,,,", "g-3,hotline,Line C,,,Bangkok,,,")

BAD_FILES = {
    "wrong_types.csv": GOOD.replace("16.9,99.2", "sixteen,99.2"),
    "unknown_province.csv": GOOD.replace(",Tak,", ",Atlantis,"),
    "duplicate_ids.csv": GOOD.replace("g-2,", "g-1,"),
}


def snapshot(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        services = conn.execute(select(Service.__table__).order_by(Service.id)).all()
        orgs = conn.execute(select(Organisation.__table__).order_by(Organisation.id)).all()
    return [tuple(r) for r in [*services, *orgs]]


def import_file(engine: Engine, path: Path):  # type: ignore[no-untyped-def]
    records = read_records(path)
    with Session(engine) as session, session.begin():
        return upsert_records(session, records)


def test_import_then_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    report = import_file(engine, path)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    before = snapshot(engine)
    again = import_file(engine, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot(engine) == before
    with Session(engine) as s:
        tak = s.scalars(select(Service).where(Service.external_id == "g-2")).one()
        assert tak.province == "Tak" and tak.organisation.name_en == "Org A"
        assert s.scalars(select(Organisation)).all()[0].external_id == "org-a"


def test_changed_row_updates_in_place(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_file(engine, path)
    with Session(engine) as s:
        old_id = s.scalar(select(Service.id).where(Service.external_id == "g-1"))
    path.write_text(GOOD.replace("Shelter A", "Shelter A2"), encoding="utf-8")
    report = import_file(engine, path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    with Session(engine) as s:
        row = s.scalars(select(Service).where(Service.external_id == "g-1")).one()
        assert (row.id, row.name_en) == (old_id, "Shelter A2")


@pytest.mark.parametrize("name", [*BAD_FILES, "broken_encoding.csv"])
def test_bad_file_changes_nothing(engine: Engine, tmp_path: Path, name: str) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    import_file(engine, good)
    before = snapshot(engine)
    bad = tmp_path / name
    if name == "broken_encoding.csv":
        bad.write_bytes(GOOD.replace("Shelter A", "Shelter A2").encode() + b"g-9,\xc3\x28,x\n")
    else:
        bad.write_text(BAD_FILES[name].replace("Shelter A", "Shelter A2"), encoding="utf-8")
    with pytest.raises(DirectoryFileError) as info:
        import_file(engine, bad)
    assert info.value.problems and all(p.row >= 1 and p.field for p in info.value.problems)
    assert snapshot(engine) == before


def test_database_error_rolls_back_whole_import(engine: Engine) -> None:
    """A failure half-way (a row the database's CHECK rejects) leaves nothing behind."""
    with Session(engine) as s, s.begin():
        upsert_records(s, [record(id="keep")])
    before = snapshot(engine)
    bad = record(id="new-2").model_copy(update={"latitude": 200.0})  # bypasses validation
    records = [record(id="new-1"), record(id="keep", name_en="changed"), bad]
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        upsert_records(s, records, chunk=1)
    assert snapshot(engine) == before


def test_export_reimports_identically(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    import_file(engine, path)
    with Session(engine) as s:
        exported = all_records(s)
    buf = io.StringIO()
    write_csv(exported, buf)
    out = tmp_path / "export.csv"
    out.write_text(buf.getvalue(), encoding="utf-8")
    assert read_records(out) == exported
    assert [r.id for r in exported] == ["g-1", "g-2", "g-3"]
    report = import_file(engine, out)
    assert report.unchanged == 3
