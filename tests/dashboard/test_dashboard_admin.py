"""Admin pages over real HTTP (issue 17): agencies for system admins; accounts of an agency for
its agency admin (never another agency's) and for system admins; 403 for every other role;
CSRF on every post; audit entries; one-time passwords shown once. SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest
from dashboard_helpers import PASSWORD, login

from agencies import store
from agencies.bundled import load_examples
from agencies.vocab import AGENCY_KINDS
from cases import audit
from cases.accounts import add_caseworker, authenticate, by_username
from cases.vocab import ROLES
from dashboard.render import interface_texts
from saphan.db import in_session
from testsupport.cases import Gateway

AGENCIES = "/dashboard/admin/agencies"
ACCOUNTS = "/dashboard/admin/accounts"


@pytest.fixture
def people(app_env: str) -> dict[str, int]:
    """Accounts in three agencies (the bundled examples) and the default agency."""
    in_session(load_examples)
    ids = {code: in_session(lambda s, c=code: store.by_code(s, c).id)
           for code in ("tak-msdhs", "tak-police-atp", "tak-ngo")}
    for username, role, agency in [
        ("sw_admin", "agency_admin", "tak-msdhs"), ("sw1", "caseworker", "tak-msdhs"),
        ("sw_lead", "supervisor", "tak-msdhs"), ("police_admin", "agency_admin",
                                                 "tak-police-atp"),
        ("police1", "caseworker", "tak-police-atp"), ("ngo1", "caseworker", "tak-ngo"),
        ("root", "system_admin", None),
    ]:
        in_session(add_caseworker, username, PASSWORD, role, None,
                   ids[agency] if agency else None)
    return ids


def _post(client: httpx.Client, token: str, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf": token, **data})


def _audit_actions() -> list[tuple[str, str, str | None]]:
    return [(e.username, e.action, e.detail) for e in in_session(audit.entries)]


def test_other_roles_get_403_on_admin_pages(gateway: Gateway, people: dict[str, int]) -> None:
    for username in ("sw1", "sw_lead"):
        client, token = login(gateway, username)
        assert "/dashboard/admin" not in client.get("/dashboard").text  # no nav links
        for path in (AGENCIES, ACCOUNTS, f"{AGENCIES}/tak-msdhs"):
            assert client.get(path).status_code == 403, (username, path)
        for path, data in [(AGENCIES, {"code": "x-1"}), (f"{AGENCIES}/tak-msdhs/active",
                                                        {"active": "false"}),
                           (ACCOUNTS, {"username": "mallory", "role": "caseworker"}),
                           (f"{ACCOUNTS}/sw1/role", {"role": "system_admin"}),
                           (f"{ACCOUNTS}/sw1/password", {"password": "a new long password"})]:
            assert _post(client, token, path, **data).status_code == 403, (username, path)
    assert in_session(by_username, "sw1").role == "caseworker"
    assert in_session(store.find, "x-1") is None and in_session(store.by_code, "tak-msdhs").active
    client, _ = login(gateway, "sw_admin")  # an agency admin: accounts yes, agencies no
    assert client.get(AGENCIES).status_code == 403
    page = client.get("/dashboard").text
    assert ACCOUNTS in page and AGENCIES not in page


def test_agency_admin_sees_and_changes_only_its_own_agency(
        gateway: Gateway, people: dict[str, int]) -> None:
    client, token = login(gateway, "sw_admin")
    for path in (ACCOUNTS, f"{ACCOUNTS}?agency=tak-police-atp"):
        page = client.get(path)
        assert page.status_code == 200
        assert 'id="account-sw1"' in page.text and 'id="account-sw_lead"' in page.text
        for other in ("police1", "police_admin", "ngo1", "root"):
            assert f'id="account-{other}"' not in page.text, (path, other)
    # another agency's account: refused, unchanged
    for path, data in [(f"{ACCOUNTS}/police1/role", {"role": "supervisor"}),
                       (f"{ACCOUNTS}/police1/active", {"active": "false"}),
                       (f"{ACCOUNTS}/police1/password", {"password": "taken over 12345"}),
                       (f"{ACCOUNTS}/root/password", {"password": "taken over 12345"})]:
        assert _post(client, token, path, **data).status_code == 403, path
    police1 = in_session(by_username, "police1")
    assert (police1.role, police1.active) == ("caseworker", True)
    assert in_session(authenticate, "police1", PASSWORD) is not None
    assert in_session(authenticate, "root", PASSWORD) is not None
    # never system_admin, never its own account
    assert _post(client, token, f"{ACCOUNTS}/sw1/role", role="system_admin").status_code == 403
    assert _post(client, token, f"{ACCOUNTS}/sw_admin/role",
                 role="caseworker").status_code == 403
    assert in_session(by_username, "sw1").role == "caseworker"
    # its own agency's accounts: yes
    assert _post(client, token, f"{ACCOUNTS}/sw1/role", role="supervisor").status_code == 303
    assert in_session(by_username, "sw1").role == "supervisor"
    assert _post(client, token, f"{ACCOUNTS}/sw_lead/active", active="false").status_code == 303
    assert in_session(authenticate, "sw_lead", PASSWORD) is None
    # a new account lands in the admin's own agency, whatever agency the form names
    added = _post(client, token, ACCOUNTS, username="sw2", role="caseworker",
                  display_name="Second", agency="tak-police-atp")
    assert added.status_code == 200, added.text
    one_time = re.search(r'id="one-time-password">([^<]+)<', added.text)
    assert one_time, "a one-time password is shown once"
    sw2 = in_session(authenticate, "sw2", one_time.group(1))
    assert sw2 is not None and sw2.agency_id == people["tak-msdhs"]
    assert one_time.group(1) not in client.get(ACCOUNTS).text  # shown only once
    refused = _post(client, token, ACCOUNTS, username="boss", role="system_admin",
                    password="a long enough password")
    assert refused.status_code == 403 and in_session(
        lambda s: s.query(type(sw2)).filter_by(username="boss").first()) is None
    weak = _post(client, token, ACCOUNTS, username="sw3", role="caseworker", password="short")
    assert weak.status_code == 422 and 'value="sw3"' in weak.text  # the form keeps its input
    actions = _audit_actions()
    assert ("sw_admin", "role_changed", "sw1 caseworker -> supervisor") in actions
    assert ("sw_admin", "deactivate", "sw_lead") in actions
    assert any(a[:2] == ("sw_admin", "account_added") and a[2].startswith("sw2 ")
               for a in actions)
    # CSRF on every post
    assert client.post(f"{ACCOUNTS}/sw1/role", data={"role": "caseworker"}).status_code == 403
    assert in_session(by_username, "sw1").role == "supervisor"


def test_system_admin_manages_agencies_and_every_account(
        gateway: Gateway, people: dict[str, int]) -> None:
    client, token = login(gateway, "root")
    page = client.get(AGENCIES)
    assert page.status_code == 200
    assert 'id="agency-tak-msdhs"' in page.text and "example-mark" in page.text
    bad = _post(client, token, AGENCIES, code="mae-sot-legal", name_th="คลินิก",
                name_en="Legal clinic", kind="ngo", provinces="Tak, Gotham")
    assert bad.status_code == 422 and "provinces: &#39;Gotham&#39;" in bad.text, bad.text
    assert 'value="Legal clinic"' in bad.text and in_session(store.find, "mae-sot-legal") is None
    good = _post(client, token, AGENCIES, code="mae-sot-legal", name_th="คลินิก",
                 name_en="Legal clinic", kind="ngo", provinces="ตาก",
                 directory_services="hrdf-mae-sot", handover_contact="desk at the office")
    assert good.status_code == 303, good.text
    row = in_session(store.by_code, "mae-sot-legal")
    assert (row.provinces, row.example, row.directory_services) == (["Tak"], False,
                                                                    ["hrdf-mae-sot"])
    edit = client.get(f"{AGENCIES}/mae-sot-legal")
    assert edit.status_code == 200 and 'value="desk at the office"' in edit.text
    changed = _post(client, token, f"{AGENCIES}/mae-sot-legal", code="mae-sot-legal",
                    name_th="คลินิก", name_en="Legal clinic (HRDF)", kind="ngo",
                    provinces="Tak", national="true")
    assert changed.status_code == 303
    row = in_session(store.by_code, "mae-sot-legal")
    assert row.name_en == "Legal clinic (HRDF)" and row.national
    assert _post(client, token, f"{AGENCIES}/tak-ngo", code="tak-ngo", name_th="x",
                 name_en="x", kind="ngo").status_code == 303
    assert in_session(store.by_code, "tak-ngo").example  # editing keeps the example mark
    off = _post(client, token, f"{AGENCIES}/mae-sot-legal/active", active="false")
    assert off.status_code == 303 and not in_session(store.by_code, "mae-sot-legal").active
    assert client.get(f"{AGENCIES}/nowhere").status_code == 404
    assert client.post(AGENCIES, data={"code": "no-csrf", "name_th": "x", "name_en": "x",
                                       "kind": "ngo"}).status_code == 403
    actions = _audit_actions()
    assert ("root", "agency_added", "mae-sot-legal") in actions
    assert ("root", "agency_changed", "mae-sot-legal") in actions
    assert ("root", "agency_deactivated", "mae-sot-legal") in actions

    every = client.get(ACCOUNTS).text
    assert all(f'id="account-{u}"' in every for u in ("sw1", "police1", "ngo1", "root"))
    police = client.get(f"{ACCOUNTS}?agency=tak-police-atp").text
    assert 'id="account-police1"' in police and 'id="account-sw1"' not in police
    assert _post(client, token, f"{ACCOUNTS}/police1/role",
                 role="agency_admin").status_code == 303
    assert in_session(by_username, "police1").role == "agency_admin"
    added = _post(client, token, ACCOUNTS, username="ngo_admin", role="agency_admin",
                  agency="tak-ngo", password="a long enough password")
    assert added.status_code == 200 and 'id="one-time-password"' not in added.text
    assert in_session(by_username, "ngo_admin").agency_id == people["tak-ngo"]
    reset = _post(client, token, f"{ACCOUNTS}/ngo1/password")
    new = re.search(r'id="one-time-password">([^<]+)<', reset.text)
    assert reset.status_code == 200 and new
    assert in_session(authenticate, "ngo1", PASSWORD) is None
    assert in_session(authenticate, "ngo1", new.group(1)) is not None


def test_every_agency_kind_and_role_has_a_text() -> None:
    for language in ("th", "en"):
        shown = interface_texts(language)
        missing = [k for k in [*(f"admin_kind_{kind}" for kind in AGENCY_KINDS),
                               *(f"admin_role_{role}" for role in ROLES)] if not shown.get(k)]
        assert not missing, (language, missing)
