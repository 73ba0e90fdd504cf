"""Reading and validating directory files (no database): errors name row and field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from referral_directory.files import DirectoryFileError, read_records, write_csv
from referral_directory.records import CSV_COLUMNS

from .conftest import record

HEADER = "id,type,name_en,province,latitude,longitude,phones,languages,source,confidence,sample\n"
GOOD_ROW = "a-1,shelter,Shelter A,Tak,16.8,99.1,+66812345678;1300,th;my,test,low,true\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def problems(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(DirectoryFileError) as info:
        read_records(path)
    return [(p.row, p.field) for p in info.value.problems]


def test_csv_is_read_and_normalised(tmp_path: Path) -> None:
    row2 = "a-2,legal_aid,Legal B,ชลบุรี,,,,,test,medium,false\n"
    [a, b] = read_records(write(tmp_path, "ok.csv", HEADER + GOOD_ROW + row2))
    assert a.phones == ["+66812345678", "1300"] and a.languages == ["th", "my"]
    assert a.sample is True and a.latitude == 16.8
    assert b.province == "Chon Buri" and b.latitude is None and b.sample is False


def test_yaml_with_defaults(tmp_path: Path) -> None:
    text = (
        "defaults: {source: test, confidence: low, sample: true, province: Tak}\n"
        "services:\n"
        "  - {id: y-1, type: medical, name_en: Clinic, is_24h: true}\n"
        "  - {id: y-2, type: hotline, name_en: Line, national: true, province: null}\n"
    )
    [a, b] = read_records(write(tmp_path, "ok.yaml", text))
    assert a.province == "Tak" and a.is_24h
    assert b.national and b.province is None


def test_wrong_types_name_row_and_field(tmp_path: Path) -> None:
    bad = "a-2,shelter,B,Tak,north,99.1,,,test,low,maybe\n"
    assert problems(write(tmp_path, "t.csv", HEADER + GOOD_ROW + bad)) == [
        (3, "latitude"),
        (3, "sample"),
    ]


def test_unknown_province_and_type(tmp_path: Path) -> None:
    bad = "a-2,spa,B,Atlantis,16.8,99.1,,,test,low,true\n"
    assert set(problems(write(tmp_path, "p.csv", HEADER + GOOD_ROW + bad))) == {
        (3, "type"),
        (3, "province"),
    }


def test_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(DirectoryFileError) as info:
        read_records(write(tmp_path, "d.csv", HEADER + GOOD_ROW + GOOD_ROW))
    [p] = info.value.problems
    assert (p.row, p.field) == (3, "id") and "first in row 2" in p.message


def test_broken_encoding_names_line(tmp_path: Path) -> None:
    content = (HEADER + GOOD_ROW).encode() + b"a-2,shelter," + b"\xff\xfe bad,Tak\n"
    with pytest.raises(DirectoryFileError) as info:
        read_records(write(tmp_path, "e.csv", content))
    [p] = info.value.problems
    assert p.row == 3 and p.field == "(encoding)" and "UTF-8" in str(info.value)


def test_bad_phone_hours_and_lonely_latitude(tmp_path: Path) -> None:
    header = "id,type,name_en,province,latitude,phones,opening_hours,source,confidence,sample\n"
    rows = [
        "a-1,shelter,A,Tak,,0812345678,,test,low,true\n",
        "a-2,shelter,B,Tak,,,mon-fri 9-5,test,low,true\n",
        "a-3,shelter,C,Tak,16.8,,,test,low,true\n",
    ]
    found = problems(write(tmp_path, "x.csv", header + "".join(rows)))
    assert found == [(2, "phones"), (3, "opening_hours"), (4, "(entry)")]


def test_unknown_column_and_bad_yaml(tmp_path: Path) -> None:
    assert problems(write(tmp_path, "c.csv", "id,colour\nx,red\n")) == [(1, "colour")]
    assert problems(write(tmp_path, "y.yaml", "services: [ {id: a\n"))[0][1] == "(yaml)"
    assert problems(write(tmp_path, "z.txt", "hello")) == [(0, "(file)")]


def test_csv_round_trip(tmp_path: Path) -> None:
    records = [
        record(id="r-1", phones=["1300"], languages=["th", "my"], opening_hours="mon 09:00-10:00"),
        record(
            id="r-2",
            type="hotline",
            national=True,
            province=None,
            latitude=None,
            longitude=None,
            sample=False,
            last_verified="2026-01-31",
        ),
    ]
    buf = io.StringIO()
    assert write_csv(records, buf) == 2
    assert buf.getvalue().splitlines()[0].split(",") == list(CSV_COLUMNS)
    path = write(tmp_path, "rt.csv", buf.getvalue())
    assert read_records(path) == records
