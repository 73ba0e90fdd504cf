"""Sourced directory entries (issue 20): every fact traceable to the directory sources file.

The file (`../shared/reference/directory_sources.md`) is parsed here, so a number can only be
shipped for an entry if that entry's row gives it, and nothing from its "Unconfirmed /
conflicting" section is shipped.
"""

from __future__ import annotations

import io
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from referral_directory.bundled import DATA_DIR, bundled_records, load_bundled, place
from referral_directory.files import read_records, write_csv
from referral_directory.records import ServiceRecord
from referral_directory.search import ServiceQuery, search_services
from referral_directory.store import all_records, upsert_records
from saphan.paths import ROOT

from .conftest import record

SOURCES = ROOT.parent / "shared" / "reference" / "directory_sources.md"
SOURCED_FILES = ("hotlines.yaml", "sourced.yaml")
READ_ON = date(2026, 12, 1)
ROW_ID = re.compile(r"\b([A-Z]{2}-\d{2})\b")
# Table rows deliberately not shipped: SH-02 (its location is listed as conflicting), EM-06
# (announced, opening not confirmed), NG-13 (no matching service type; address only from an
# event notice).
LEFT_OUT = {"SH-02", "EM-06", "NG-13"}
# Named in the conflicts section and never to be shipped.
CONFLICT_NAMES = ("บ้านธัญญพร", "บ้านภัทรียา", "บ้านแกลง", "Kredtrakarn")
# Addresses the file flags under "Unconfirmed" (unofficial directory; Wikipedia only).
UNCONFIRMED_ADDRESSES = ("175/16", "Ekkachai")

needs_sources = pytest.mark.skipif(
    not SOURCES.exists(),
    reason=f"{SOURCES} not checked out (the shared reference is present in CI)",
)


def sourced_records() -> list[ServiceRecord]:
    return [r for name in SOURCED_FILES for r in read_records(DATA_DIR / name)]


def row_id(rec: ServiceRecord) -> str:
    (found,) = ROW_ID.findall(rec.source)
    return found


@cache
def _text() -> str:
    return SOURCES.read_text(encoding="utf-8")


@cache
def table_rows() -> dict[str, dict[str, str]]:
    """Row id -> {column: cell} for the data tables (sections 1-6)."""
    body = _text().split("## Coordinates")[0]
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in body.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "id":
            header = cells
        elif ROW_ID.fullmatch(cells[0]):
            assert len(cells) == len(header), line[:40]
            rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


@cache
def coordinates() -> dict[str, tuple[float, float]]:
    section = _text().split("## Coordinates")[1].split("\n## ")[0]
    found = re.findall(r"^\| ([A-Z]{2}-\d{2}) \| ([\d.-]+) \| ([\d.-]+) \|", section, re.M)
    return {rid: (float(lat), float(lon)) for rid, lat, lon in found}


def conflicts_section() -> str:
    return _text().split("## Unconfirmed / conflicting")[1]


def _normalise(token: str) -> str:
    digits = re.sub(r"\D", "", token)
    if token.lstrip().startswith("+"):
        return "+" + digits
    return "+66" + digits[1:] if digits.startswith("0") else digits


def phone_cell_numbers(cell: str) -> set[str]:
    """The numbers a phone cell gives, as the directory stores them (E.164 or short code).

    "02-575-1047-9" is the range 1047-1049; "(0)" after +66 is dropped; extensions, notes in
    brackets and fax numbers are not numbers to call.
    """
    cell = re.sub(r"\([^)]*\)", " ", cell.replace("(0)", ""))
    numbers: set[str] = set()
    for part in re.split(r"[;,]| or ", cell):
        part = re.sub(r"ext\.?\s*\d+", "", part).strip()
        match = re.search(r"\+?\d[\d -]*\d", part)
        if part.lower().startswith("fax") or not match:
            continue
        token = match.group()
        groups = token.replace(" ", "").split("-")
        if len(groups) >= 3 and len(groups[-1]) == 1 and len(groups[-2]) >= 3:
            base = "".join(groups[:-1])
            for last in range(int(base[-1]), int(groups[-1]) + 1):
                numbers.add(_normalise(base[:-1] + str(last)))
        else:
            numbers.add(_normalise(token))
    return numbers


def national_digits(number: str) -> str:
    """Digits without the Thai country code or trunk 0, to compare numbers written any way."""
    digits = re.sub(r"\D", "", number)
    if digits.startswith("66") and len(digits) >= 10:
        return digits[2:]
    if digits.startswith("0") and len(digits) >= 9:
        return digits[1:]
    return digits


# --- the data itself (no sources file needed) --------------------------------------------------


def test_every_sourced_entry_says_where_when_and_how_sure() -> None:
    records = sourced_records()
    assert len(records) >= 60
    for rec in records:
        assert not rec.sample, rec.id
        assert rec.source_url and rec.source_note, rec.id
        assert rec.confidence in ("high", "medium", "low"), rec.id
        assert rec.last_verified == READ_ON, rec.id
        assert len(ROW_ID.findall(rec.source)) == 1, rec.id


def test_entries_without_a_phone_say_they_need_one() -> None:
    for rec in sourced_records():
        assert rec.needs_phone is (not rec.phones), rec.id
    assert any(r.needs_phone for r in sourced_records())


def test_sourced_entries_are_bundled_once() -> None:
    bundled = {r.id: r for r in bundled_records()}
    for rec in sourced_records():
        assert bundled[rec.id] == place(rec)  # as in the file, placed by town or province
    assert len(bundled) == len(bundled_records())  # no id shipped twice


def test_source_fields_are_validated() -> None:
    assert record(source_url="https://example.org/a").source_url == ["https://example.org/a"]
    for bad in (
        {"source_url": ["ftp://example.org"]},
        {"source_url": "example.org"},
        {"source_url": ["https://example.org/a b"]},
        {"confidence": "certain"},
        {"needs_phone": True, "phones": ["1300"]},
    ):
        with pytest.raises(ValidationError):
            record(**bad)


# --- against the sources file ---------------------------------------------------------------


@needs_sources
def test_each_entry_matches_its_row() -> None:
    rows = table_rows()
    assert len(rows) == 67  # the parser reads every table
    text = _text()
    for rec in sourced_records():
        row = rows[row_id(rec)]
        grades = set(re.findall(r"\b(high|medium|low)\b", row["confidence"]))
        assert rec.confidence in grades, (rec.id, row["confidence"])
        for url in rec.source_url:
            assert url in text, (rec.id, url)


@needs_sources
def test_no_number_that_the_row_does_not_give() -> None:
    rows = table_rows()
    assert phone_cell_numbers(rows["HL-13"]["phone"]) == {
        "+6625751047", "+6625751048", "+6625751049", "+6625751051", "+6625751053",
    }  # fmt: skip
    assert phone_cell_numbers(rows["HL-11"]["phone"]) == {"1111"}  # ext. 77 is not a number
    assert phone_cell_numbers(rows["MD-04"]["phone"]) == {"+6674273100", "+6674273217"}  # no fax
    for rec in sourced_records():
        given = phone_cell_numbers(rows[row_id(rec)]["phone"])
        assert set(rec.phones) <= given, (rec.id, set(rec.phones) - given)


@needs_sources
def test_every_row_is_shipped_or_deliberately_left_out() -> None:
    shipped = {row_id(r) for r in sourced_records()}
    assert shipped | LEFT_OUT == set(table_rows())
    assert not shipped & LEFT_OUT


@needs_sources
def test_nothing_from_the_conflicts_section_is_shipped() -> None:
    section = conflicts_section()
    cells = [row["phone"] for row in table_rows().values()]
    in_tables = {national_digits(n) for cell in cells for n in phone_cell_numbers(cell)}
    seen = {national_digits(t) for t in re.findall(r"\+?\(?\d[\d\s().-]*\d", section)}
    conflict_only = seen - in_tables
    assert {"1191", "1202", "1167", "1192", "1199", "1599", "911", "22332237"} <= conflict_only
    for rec in bundled_records():
        assert not {national_digits(p) for p in rec.phones} & conflict_only, rec.id
        shown = " ".join(filter(None, (rec.name_en, rec.name_th, rec.address)))
        for name in CONFLICT_NAMES:
            assert name in section
            assert name not in shown, (rec.id, name)
        for address in UNCONFIRMED_ADDRESSES:
            assert address not in (rec.address or ""), (rec.id, address)
    assert "Mae Sot Hospital address" in section and "Samut Sakhon Hospital address" in section


@needs_sources
def test_coordinates_only_where_the_file_states_them() -> None:
    stated = coordinates()
    assert stated == {"MD-04": (7.01667, 100.46806)}
    for rec in sourced_records():
        if rec.latitude is None:
            assert row_id(rec) not in stated, rec.id
            assert rec.national or rec.province, rec.id  # placed by province
        else:
            assert (rec.latitude, rec.longitude) == stated[row_id(rec)], rec.id


# --- databases ----------------------------------------------------------------------------------


def test_sourced_entries_load_and_round_trip(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session, session.begin():
        load_bundled(session)
    with Session(engine) as session:
        stored = {r.id: r for r in all_records(session)}
    org_names = {"organisation_name_en", "organisation_name_th"}  # filled in from the organisation
    for rec in map(place, sourced_records()):  # every field, the new ones too, is stored
        assert stored[rec.id].model_dump(exclude=org_names) == rec.model_dump(exclude=org_names)
    expected = {r.id for r in sourced_records()}
    assert any(stored[i].source_url and stored[i].needs_phone for i in expected)

    buf = io.StringIO()
    write_csv(list(stored.values()), buf)
    exported = tmp_path / "export.csv"
    exported.write_text(buf.getvalue(), encoding="utf-8")
    again = read_records(exported)
    assert {r.id: r for r in again} == stored
    with Session(engine) as session, session.begin():
        report = upsert_records(session, again)
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(stored))


def test_search_places_sourced_entries_by_province(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        load_bundled(session)
    with Session(engine) as session:
        ranong = search_services(session, ServiceQuery(service_type="shelter", province="Ranong"))
        assert ranong.scope == "local"
        assert [h.service.external_id for h in ranong.hits] == [
            "police-screening-centre-ranong",
            "children-family-shelter-ranong",
            "shelter-ranong-trafficking-victims",
            "sample-ranong-shelter",
        ]  # real entries (by name) before the sample
        nan = search_services(session, ServiceQuery(service_type="shelter", province="Nan"))
        assert nan.scope == "national"  # nothing near Nan: the shelters found in every province
        assert [h.service.external_id for h in nan.hits] == [
            "children-family-shelters",
            "msdhs-provincial-offices",
        ]
