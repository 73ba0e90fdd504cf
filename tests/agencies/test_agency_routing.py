"""Routing of new cases (agencies/data/routing.yml) and the bundled example agencies, on SQLite
and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from agencies import routing, store
from agencies.bundled import EXAMPLES_FILE, load_examples, read_agencies
from agencies.routing import RoutingDataError, load_rules, route
from agencies.store import AgencyError, AgencyIn
from agencies.vocab import DEFAULT_AGENCY_CODE
from cases.vocab import SOURCES
from referral_directory.bundled import bundled_records
from saphan.db import in_session, session_scope


def _agency(code: str, kind: str, provinces: list[str] | None = None, national: bool = False,
            example: bool = False) -> None:
    in_session(store.add, AgencyIn(code=code, name_th=code, name_en=code, kind=kind,
                                   provinces=tuple(provinces or ()), national=national,
                                   example=example))


def _route(province: str | None, source: str, production: bool = False) -> str:
    return in_session(lambda s: route(s, province, source, production).code)


def test_every_case_source_has_a_rule() -> None:
    assert set(routing.rules().routes) == set(SOURCES)


def test_bad_routing_files_are_refused_naming_file_and_item(tmp_path: Path) -> None:
    path = tmp_path / "routing.yml"
    for body, expected in [
        ({"routes": {"emergency": ["polis"]}}, "routing.yml: routes.emergency: 'polis'"),
        ({"routes": {"request": []}}, "routing.yml: routes.request: expected a non-empty"),
        ({"routes": {"request": ["ngo", "ngo"]}}, "routing.yml: routes.request: an agency kind"),
        ({"rules": {}}, "routing.yml: expected exactly one key `routes`"),
    ]:
        path.write_text(yaml.safe_dump(body), encoding="utf-8")
        with pytest.raises(RoutingDataError) as refused:
            load_rules(path)
        assert str(refused.value).startswith(expected), refused.value


def test_province_first_then_national_then_default(app_env: str) -> None:
    kinds = routing.rules().kinds_for("request")
    assert _route("Tak", "request") == DEFAULT_AGENCY_CODE  # nothing but the default yet
    _agency("national-ngo", kinds[1], national=True)
    assert _route("Tak", "request") == "national-ngo"
    _agency("cm-office", kinds[0], ["Chiang Mai"])
    assert _route("Tak", "request") == "national-ngo"  # covers another province
    assert _route("เชียงใหม่", "request") == "cm-office"  # Thai names too
    _agency("tak-ngo-x", kinds[1], ["Tak"])
    assert _route("Tak", "request") == "tak-ngo-x"  # covering beats national
    _agency("tak-office", kinds[0], ["Tak"])
    assert _route("Tak", "request") == "tak-office"  # the first kind wins
    assert _route(None, "request") == "national-ngo"  # no province: national ones
    assert _route("Tak", "not a source") == DEFAULT_AGENCY_CODE
    found = in_session(lambda s: [a.code for a in routing.covering(s, "Tak", kinds, False)])
    assert found == ["tak-office", "tak-ngo-x"]


def test_inactive_never_and_examples_not_in_production(app_env: str) -> None:
    kind = routing.rules().kinds_for("emergency")[0]
    _agency("tak-example", kind, ["Tak"], example=True)
    _agency("tak-real", kind, ["Tak"])
    assert _route("Tak", "emergency") == "tak-real"  # real before example
    in_session(store.set_active, "tak-real", False)
    assert _route("Tak", "emergency") == "tak-example"
    assert _route("Tak", "emergency", production=True) == DEFAULT_AGENCY_CODE
    _agency("national-example", kind, national=True, example=True)
    assert _route("Chiang Rai", "emergency", production=True) == DEFAULT_AGENCY_CODE
    assert _route("Chiang Rai", "emergency") == "national-example"


def test_examples_load_idempotent_and_marked(app_env: str) -> None:
    with session_scope() as session:
        first = load_examples(session)
    with session_scope() as session:
        again = load_examples(session)
        rows = [a for a in store.all_agencies(session, active_only=False)
                if a.code != DEFAULT_AGENCY_CODE]
    assert first.created == len(rows) >= 8 and first.updated == 0
    assert (again.created, again.updated) == (0, len(rows))
    assert all(a.example and a.source and a.reviewed_on for a in rows)
    assert [a.code for a in in_session(store.all_agencies, False, False)] == [DEFAULT_AGENCY_CODE]
    codes = {a.code for a in rows}
    assert {"tak-msdhs", "tak-police-atp", "tak-ngo", "iom-thailand", "msdhs-1300"} <= codes
    # the newcomer's path: a case from Tak goes to the provincial MSDHS office
    assert _route("Tak", "request") == "tak-msdhs"
    assert _route("Ranong", "request") == "iom-thailand"  # IOM covers Ranong itself
    assert _route("Chiang Rai", "request") == "msdhs-1300"  # national fallback
    assert _route("Tak", "request", production=True) == DEFAULT_AGENCY_CODE


def test_example_file_is_sourced_and_invents_no_numbers() -> None:
    rows = read_agencies(EXAMPLES_FILE, examples=True)
    directory_ids = {r.id for r in bundled_records()}
    for row in rows:
        assert set(row.directory_services) <= directory_ids, row.code
        contact = row.handover_contact or ""
        digits = re.findall(r"\d{3,}", re.sub(r"\b[A-Z]{2}-\d{2}\b", "", contact))  # not row ids
        # only the hotline numbers the cited sources give (1300 MSDHS, 1546 DLPW)
        assert set(digits) <= {"1300", "1546"}, (row.code, contact)
        assert "example" in contact.lower(), row.code


def test_example_rows_must_be_marked(tmp_path: Path) -> None:
    path = tmp_path / "examples.yml"
    path.write_text(yaml.safe_dump({"agencies": [{"code": "x-1", "name_th": "x",
                                                  "name_en": "x", "kind": "ngo"}]}), "utf-8")
    with pytest.raises(AgencyError, match=r"examples.yml: agency 1 \(x-1\): a bundled example"):
        read_agencies(path, examples=True)
