"""HTCDS export: every field name and picklist value exists in the IOM reference."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest

from saphan.paths import ROOT
from screening.htcds import (
    EXTENSION_FIELDS,
    EXTENSION_PREFIX,
    HTCDS_KEYS,
    PERSON_MODE_FIELDS,
    default_mapping,
    export_csv,
    export_json,
    to_htcds,
)
from screening.records import ScreeningRecord
from screening.scoring import score

REFERENCE = ROOT.parent / "shared" / "reference" / "htcds"


def _reference() -> tuple[set[str], dict[str, set[str]]]:
    """(table prefixes, {section name without spaces: allowed values}) parsed from the
    reference: every `##` section is a field; its values are the first column of the tables
    in it and its `###` subsections, minus the section name used as a prefix."""
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    prefixes = set(re.findall(r"\b([a-z]{3}_)(?=[,)\s])", readme))
    sections: dict[str, set[str]] = {}
    current: str | None = None
    text = (REFERENCE / "HTCDS_Field_Definitions.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        heading = re.match(r"^##(?!#)\s*(.+?)\s*$", line)
        if heading:
            name = re.sub(r"\(.*?\)", "", heading.group(1)).replace(" ", "").strip()
            current = name  # tiers of one section ("(TIER 2)", "(TIER 3)") merge
            sections.setdefault(current, set())
            continue
        row = re.match(r"^\|([^|]*)\|", line)
        if current is None or not row:
            continue
        cell = row.group(1).strip()
        if not cell or set(cell) <= set("-: ") or cell in ("Field Name", "Field Label"):
            continue
        sections[current].add(cell.removeprefix(current) if cell != current else cell)
    return prefixes, {k: v for k, v in sections.items() if v}


PREFIXES, SECTIONS = _reference()


def test_reference_parsed() -> None:
    # Guards the parser itself: it must find the sections the export relies on.
    assert {"vic_", "prs_", "cas_"} <= PREFIXES
    assert "DebtBondage" in SECTIONS["MethodsOfControl"]
    assert "C_Manufacturing" in SECTIONS["LabourIndustry"]


def _check_field(name: str) -> str:
    prefix, _, section = name.partition("_")
    assert f"{prefix}_" in PREFIXES, f"{name}: unknown HTCDS table prefix"
    assert section in SECTIONS, f"{name}: no section {section!r} in the HTCDS reference"
    return section


def test_mapping_and_questionnaire_use_reference_values(data) -> None:
    mapping = default_mapping()
    sections = {key: _check_field(name) for key, name in mapping.fields.items()}
    for item in data.questionnaire.items:
        for value in item.htcds_methods_of_control:
            assert value in SECTIONS[sections["methods_of_control"]], (item.id, value)
    assert set(mapping.sector) == set(data.questionnaire.context_question("sector").option_ids())
    for sector, target in mapping.sector.items():
        if target.industry:
            assert target.industry in SECTIONS[sections["labour_industry"]], sector
        if target.subdivision:
            assert target.subdivision in SECTIONS[sections["labour_subdivision"]], sector
    assert set(mapping.trafficking_status) == {r.id for r in data.rules.results}
    for status in mapping.trafficking_status.values():
        assert status is None or status in SECTIONS[sections["trafficking_status"]]
    for name in EXTENSION_FIELDS:
        assert name.startswith(EXTENSION_PREFIX), f"{name} must not look like an HTCDS field"


def _record(data, context, answers) -> ScreeningRecord:
    return ScreeningRecord(
        officer_id="officer-1",
        agency="DLPW Ranong",
        questionnaire_version=data.questionnaire.version,
        context=context,
        answers=answers,
        result=score(data, context, answers),
    )


CASES = [
    (
        {"under_18": "no", "exploitation_form": "labour", "sector": "fishing",
         "nationality": "Myanmar", "province": "Ranong"},
        {"dr_job_nature": "yes", "dr_wages": "yes", "ex_hours": "yes", "ex_pay": "yes",
         "cd_documents": "yes", "cd_debt": "yes", "cd_violence": "no"},
    ),
    (
        {"under_18": "yes", "moved_or_recruited": "yes", "exploitation_form": "sexual",
         "sector": "entertainment_sex_work", "nationality": "Lao PDR", "province": "Bangkok"},
        {"ex_hours": "yes", "ex_living": "yes", "cd_threats": "yes", "cd_inform_family": "yes"},
    ),
    (
        {"under_18": "no", "exploitation_form": "labour", "sector": "online_scam_compound",
         "nationality": "unknown", "province": "Tak"},
        {"ex_education": "yes", "cd_illicit": "not_sure"},
    ),
]  # fmt: skip


def _validate_row(row: dict, mapping) -> None:
    for name, value in row.items():
        if name.startswith(EXTENSION_PREFIX):
            continue
        section = _check_field(name)
        values = value if isinstance(value, list) else [value]
        for v in values:
            assert v is None or v in SECTIONS[section], f"{name}: {v!r} not in the picklist"


def test_json_export_validates_against_reference(data) -> None:
    mapping = default_mapping()
    records = [_record(data, c, a) for c, a in CASES]
    rows = json.loads(export_json(records))
    assert len(rows) == 3
    for row in rows:
        _validate_row(row, mapping)
    first, child, scam = rows
    assert first["vic_MethodsOfControl"] == [
        "FalsePromises", "ExcessiveWorkingHours", "TakesEarnings", "WithholdsDocuments",
        "DebtBondage",
    ]  # fmt: skip
    assert first["vic_LabourIndustry"] == ["A_AgricultureForestryAndFishing"]
    assert first["vic_TraffickingStatus"] == "Possible victim of trafficking"
    assert first["saphan_Result"] == "likely_victim"
    assert child["saphan_Result"] == "likely_victim" and child["saphan_Under18"] == "yes"
    assert scam["saphan_Result"] == "no_indicators"
    assert scam["vic_TraffickingStatus"] is None  # never "Not a victim of trafficking"
    assert scam["vic_LabourIndustry"] == []


def test_csv_export_round_trips_and_validates(data) -> None:
    separator = default_mapping().multiselect_separator
    records = [_record(data, c, a) for c, a in CASES]
    parsed = list(csv.DictReader(io.StringIO(export_csv(records))))
    assert len(parsed) == 3
    for record, row in zip(records, parsed, strict=True):
        expected = to_htcds(record)
        assert list(row) == list(expected)
        decoded = {
            name: (row[name].split(separator) if row[name] else [])
            if isinstance(value, list)
            else (row[name] or None)
            for name, value in expected.items()
        }
        assert decoded == {
            k: v if v is None or isinstance(v, list) else str(v) for k, v in expected.items()
        }
        _validate_row(decoded, default_mapping())


@pytest.mark.parametrize("field", ["vic_NotAField", "xyz_MethodsOfControl"])
def test_validator_rejects_unknown_fields(field) -> None:
    with pytest.raises(AssertionError):
        _check_field(field)


def test_who_answered_comes_after_the_htcds_columns(data) -> None:
    """Person-facing mode has no HTCDS field: three `saphan_` columns after the HTCDS ones
    (so the earlier columns keep their places) say who answered, in which language and
    whether the person saw unreviewed drafts."""
    asked = _record(data, *CASES[0])
    person = replace(asked, id="p-1", answered_by="person", person_language="my",
                     drafts_shown=True)
    mapping = default_mapping()
    htcds_columns = [mapping.fields[key] for key in HTCDS_KEYS]
    parsed = list(csv.DictReader(io.StringIO(export_csv([asked, person]))))
    header = list(parsed[0])
    assert header[-len(PERSON_MODE_FIELDS):] == list(PERSON_MODE_FIELDS)
    assert header.index(htcds_columns[-1]) < header.index(PERSON_MODE_FIELDS[0])
    assert all(name.startswith(EXTENSION_PREFIX) for name in PERSON_MODE_FIELDS)
    assert [[row[name] for name in PERSON_MODE_FIELDS] for row in parsed] == [
        ["officer", "", "no"], ["person", "my", "yes"]]
    row = json.loads(export_json([person]))[0]
    assert (row["saphan_AnsweredBy"], row["saphan_PersonLanguage"],
            row["saphan_DraftsShown"]) == ("person", "my", "yes")
