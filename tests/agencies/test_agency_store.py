"""agencies.store: validated input (errors name the field), the only writer of `agencies`, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from agencies import store
from agencies.store import AgencyError, AgencyIn
from agencies.vocab import DEFAULT_AGENCY_CODE
from saphan.db import in_session, session_scope

GOOD = {"code": "tak-test", "name_th": "หน่วยทดสอบ ตาก", "name_en": "Test unit, Tak",
        "kind": "ngo", "provinces": ["Tak"]}


@pytest.mark.parametrize(("change", "field"), [
    ({"code": "Tak Test!"}, "code"),
    ({"code": "-tak"}, "code"),
    ({"code": "x" * 41}, "code"),
    ({"name_th": "   "}, "name_th"),
    ({"name_en": ""}, "name_en"),
    ({"name_en": "x" * 201}, "name_en"),
    ({"kind": "army"}, "kind"),
    ({"provinces": ["Atlantis"]}, "provinces"),
    ({"provinces": "Tak, Gotham"}, "provinces"),
    ({"handover_contact": "x" * 301}, "handover_contact"),
    ({"directory_services": ["not an id!"]}, "directory_services"),
    ({"reviewed_on": "07/12/2026"}, "reviewed_on"),
    ({"national": "maybe"}, "national"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_is_refused_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(AgencyError) as refused:
        AgencyIn.from_mapping({**GOOD, **change}, "agency 3")
    message = str(refused.value)
    assert message.startswith("agency 3: ") and field in message, message


def test_input_is_normalised() -> None:
    data = AgencyIn.from_mapping({**GOOD, "code": " TAK-Test ", "provinces": "ตาก, national, tak",
                                  "directory_services": "hrdf-mae-sot, hrdf-mae-sot",
                                  "handover_contact": "  call   the desk ",
                                  "reviewed_on": "2026-12-07", "national": "false"})
    assert data.code == "tak-test"
    assert data.provinces == ("Tak",) and data.national is True  # 'national' in the list
    assert data.directory_services == ("hrdf-mae-sot",)
    assert data.handover_contact == "call the desk"
    assert data.reviewed_on == date(2026, 12, 7)


def test_add_update_deactivate(app_env: str) -> None:
    with session_scope() as session:
        row = store.add(session, AgencyIn.from_mapping(
            {**GOOD, "directory_services": ["hrdf-mae-sot"]}))
        agency_id = row.id
    with session_scope() as session:
        row = store.by_code(session, "TAK-TEST")
        assert store.get(session, agency_id) is row
        assert (row.provinces, row.national, row.active, row.example) == (["Tak"], False,
                                                                           True, False)
        assert store.name(row, "th") == GOOD["name_th"]
        assert store.name(row, "my") == GOOD["name_en"]
        with pytest.raises(AgencyError, match="code: agency 'tak-test' exists already"):
            store.add(session, AgencyIn.from_mapping(GOOD))
    changed = AgencyIn.from_mapping({**GOOD, "code": "tak-renamed", "kind": "shelter"})
    in_session(store.update, "tak-test", changed)
    assert in_session(lambda s: store.get(s, agency_id).code) == "tak-renamed"
    in_session(store.set_active, "tak-renamed", False)
    codes = in_session(lambda s: [a.code for a in store.all_agencies(s)])
    assert "tak-renamed" not in codes and DEFAULT_AGENCY_CODE in codes
    assert "tak-renamed" in in_session(
        lambda s: [a.code for a in store.all_agencies(s, active_only=False)])
    with pytest.raises(store.AgencyNotFound):
        in_session(store.by_code, "tak-test")


def test_unknown_directory_services_are_refused(app_env: str) -> None:
    with pytest.raises(AgencyError, match="directory_services: unknown directory service"):
        in_session(store.add, AgencyIn.from_mapping({**GOOD, "directory_services": ["nope-1"]}))
    assert in_session(store.find, "tak-test") is None


def test_the_default_agency_stays(app_env: str) -> None:
    default = in_session(store.default_agency)
    assert default.code == DEFAULT_AGENCY_CODE and default.active
    with pytest.raises(AgencyError, match="default agency cannot be deactivated"):
        in_session(store.set_active, DEFAULT_AGENCY_CODE, False)
    renamed = AgencyIn.from_mapping({**GOOD, "code": "something-else"})
    with pytest.raises(AgencyError, match="code: the default agency keeps"):
        in_session(store.update, DEFAULT_AGENCY_CODE, renamed)
