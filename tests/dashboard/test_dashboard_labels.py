"""Labels an agency keeps for its cases, over real HTTP (issue 23): the agency admin's list,
putting labels on and off a case with plain forms, the queue showing them and filtering by
`?label=` together with `?show=`; another agency neither sees nor uses them. SQLite and
PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest
from dashboard_helpers import PASSWORD, login

from cases import audit, labels, referrals, service
from cases.accounts import add_caseworker
from cases.models import Caseworker
from content.catalogue import text
from saphan.db import in_session, session_scope
from testsupport.cases import Gateway

LIST = "/dashboard/admin/labels"


@pytest.fixture
def people(gateway: Gateway, agency_ids: dict[str, int]) -> dict[str, int]:
    """Admins and caseworkers of the default agency and of the NGO in Nan."""
    for username, role, code in (("ada", "agency_admin", "default"),
                                 ("cara", "caseworker", "default"),
                                 ("sue", "supervisor", "default"),
                                 ("nadia", "agency_admin", "ngo-nan"),
                                 ("nick", "caseworker", "ngo-nan")):
        in_session(add_caseworker, username, PASSWORD, role, username.title(),
                   agency_ids[code])
    return agency_ids


def _post(client: httpx.Client, token: str, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf": token, **data})


def _label_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="label-(\d+)"', html)]


def _rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="case-(\d+)"', html)]


def _create(client: httpx.Client, token: str, name: str) -> int:
    page = _post(client, token, LIST, name=name)
    assert page.status_code == 200, page.text
    return max(_label_ids(page.text))


def test_the_agency_admin_keeps_the_list_and_nobody_else(gateway: Gateway,
                                                         people: dict[str, int]) -> None:
    for username in ("cara", "sue"):
        client, token = login(gateway, username)
        assert 'id="nav-labels"' not in client.get("/dashboard").text
        assert client.get(LIST).status_code == 403
        assert _post(client, token, LIST, name="x").status_code == 403
    assert in_session(labels.agency_labels, people["default"]) == []

    admin, token = login(gateway, "ada")  # Thai interface
    assert 'id="nav-labels"' in admin.get("/dashboard").text
    page = admin.get(LIST)
    assert page.status_code == 200 and text("dashboard", "labels_none", "th") in page.text
    assert _post(admin, "wrong", LIST, name="debt").status_code == 403  # CSRF
    created = _post(admin, token, LIST, name="หนี้สิน")
    assert text("dashboard", "labels_created", "th") in created.text
    debt = _label_ids(created.text)[0]
    taken = _post(admin, token, LIST, name=" หนี้สิน ")
    assert taken.status_code == 422
    assert text("dashboard", "labels_error_name_taken", "th") in taken.text
    long = _post(admin, token, LIST, name="ก" * 61)
    assert long.status_code == 422
    assert text("dashboard", "labels_error_name_long", "th", max=60) in long.text
    assert [r.name for r in in_session(labels.agency_labels, people["default"])] == ["หนี้สิน"]

    other, other_token = login(gateway, "nadia")  # another agency's admin
    assert _label_ids(other.get(LIST).text) == []
    assert _post(other, other_token, f"{LIST}/{debt}/retire").status_code == 404
    assert in_session(labels.agency_labels, people["default"])  # still active

    retired = _post(admin, token, f"{LIST}/{debt}/retire")
    assert retired.status_code == 303
    row = admin.get(LIST).text.split(f'<tr id="label-{debt}"')[1].split("</tr>")[0]
    assert 'data-retired="true"' in row and "/retire" not in row
    assert [e.action for e in in_session(audit.entries)
            if e.action.startswith("label")] == ["label_created", "label_retired"]


def test_labels_go_on_and_off_a_case_with_plain_forms(gateway: Gateway,
                                                      people: dict[str, int]) -> None:
    admin, admin_token = login(gateway, "ada")
    urgent_help = _create(admin, admin_token, "ล่าม")
    shelter = _create(admin, admin_token, "ที่พัก")
    case_id = gateway.create_case(conversation_id="c-lab").json()["id"]
    client, token = login(gateway, "cara")
    page = client.get(f"/dashboard/cases/{case_id}").text
    form = page.split('id="add-label"')[1].split("</form>")[0]
    assert f'value="{urgent_help}"' in form and f'value="{shelter}"' in form
    assert "/dashboard/admin/labels" not in page  # the list is the admin's
    added = _post(client, token, f"/dashboard/cases/{case_id}/labels", label_id=str(shelter))
    assert added.status_code == 303 and added.headers["location"].endswith(f"/{case_id}#labels")
    page = client.get(f"/dashboard/cases/{case_id}").text
    on_case = page.split('id="labels"')[1].split("</div>")[0]
    assert f'data-label-id="{shelter}"' in on_case and "ที่พัก" in on_case
    assert f'value="{shelter}"' not in on_case.split('id="add-label"')[1]  # not offered again
    again = _post(client, token, f"/dashboard/cases/{case_id}/labels", label_id=str(shelter))
    assert again.status_code == 303  # already there: nothing more written
    removed = _post(client, token, f"/dashboard/cases/{case_id}/labels/{shelter}/remove")
    assert removed.status_code == 303
    assert in_session(labels.case_labels, people["default"], case_id) == []
    assert [e.action for e in in_session(audit.entries, case_id)
            if e.action.startswith("label")] == ["label_added", "label_removed"]
    _post(admin, admin_token, f"{LIST}/{urgent_help}/retire")
    refused = _post(client, token, f"/dashboard/cases/{case_id}/labels",
                    label_id=str(urgent_help))
    assert refused.status_code == 422
    assert text("dashboard", "labels_error_retired", "th") in refused.text


def test_the_queue_shows_labels_and_filters_by_one_with_show(gateway: Gateway,
                                                             people: dict[str, int]) -> None:
    admin, admin_token = login(gateway, "ada")
    debt = _create(admin, admin_token, "หนี้")
    other = _create(admin, admin_token, "อื่น")
    cases = [gateway.create_case(conversation_id=f"c-q{i}", priority="high").json()["id"]
             for i in range(3)]
    client, token = login(gateway, "cara")
    for case_id in cases[:2]:
        assert _post(client, token, f"/dashboard/cases/{case_id}/labels",
                     label_id=str(debt)).status_code == 303
    _post(client, token, f"/dashboard/cases/{cases[2]}/labels", label_id=str(other))
    assert _post(client, token, f"/dashboard/cases/{cases[1]}/claim").status_code == 303
    queue = client.get("/dashboard").text
    row = queue.split(f'<tr id="case-{cases[0]}"')[1].split("</tr>")[0]
    assert f'data-label-id="{debt}"' in row and "หนี้" in row
    filters = queue.split('id="label-filters"')[1].split("</nav>")[0]
    assert f'href="/dashboard?show=all&amp;label={debt}"' in filters
    assert set(_rows(client.get(f"/dashboard?label={debt}").text)) == set(cases[:2])
    assert _rows(client.get(f"/dashboard/queue/rows?show=unclaimed&label={debt}").text) == [
        cases[0]]
    assert _rows(client.get(f"/dashboard/queue/rows?show=mine&label={debt}").text) == [
        cases[1]]
    assert _rows(client.get(f"/dashboard/queue/rows?show=mine&label={other}").text) == []
    assert set(_rows(client.get("/dashboard/queue/rows?label=bogus").text)) == set(cases)
    mine = client.get(f"/dashboard?show=mine&label={debt}").text
    assert f'href="/dashboard?show=unclaimed&amp;label={debt}"' in mine  # filters combine


def test_another_agency_on_the_case_neither_sees_nor_uses_the_labels(
        gateway: Gateway, people: dict[str, int]) -> None:
    admin, admin_token = login(gateway, "ada")
    home = _create(admin, admin_token, "ของบ้าน")
    case_id = gateway.create_case(conversation_id="c-shared").json()["id"]
    client, token = login(gateway, "cara")
    _post(client, token, f"/dashboard/cases/{case_id}/labels", label_id=str(home))
    ngo_admin, ngo_admin_token = login(gateway, "nadia")
    ngo_label = _create(ngo_admin, ngo_admin_token, "ของเอ็นจีโอ")
    nick, nick_token = login(gateway, "nick")
    refused = _post(nick, nick_token, f"/dashboard/cases/{case_id}/labels",
                    label_id=str(ngo_label))
    assert refused.status_code == 404  # not on the case: it does not exist for the NGO
    with session_scope() as session:
        sender = session.query(Caseworker).filter_by(username="cara").one()
        referral = referrals.refer(session, case_id, referrals.HandoverIn(
            reason="AdditionalServicesRequired", to_agency_id=people["ngo-nan"],
            shares=["summary"], consent="given", consent_method="chat",
            consent_language="th"), sender)
        referrals.accept(session, referral.id,
                         session.query(Caseworker).filter_by(username="nick").one())
    page = nick.get(f"/dashboard/cases/{case_id}").text
    on_case = page.split('id="labels"')[1].split("</div>")[0]
    assert "ของบ้าน" not in page and f'data-label-id="{home}"' not in on_case
    assert f'<option value="{ngo_label}">' in on_case
    assert f'<option value="{home}">' not in on_case
    using = _post(nick, nick_token, f"/dashboard/cases/{case_id}/labels", label_id=str(home))
    assert using.status_code == 422  # another agency's label: "no such label"
    assert text("dashboard", "labels_error_not_found", "th") in using.text
    assert _post(nick, nick_token, f"/dashboard/cases/{case_id}/labels/{home}/remove"
                 ).status_code == 422
    assert _post(nick, nick_token, f"/dashboard/cases/{case_id}/labels",
                 label_id=str(ngo_label)).status_code == 303
    queue = nick.get("/dashboard").text
    assert "ของบ้าน" not in queue and f'data-label-id="{ngo_label}"' in queue
    assert _rows(nick.get(f"/dashboard?label={home}").text) == [case_id]  # not its label:
    # no filter (the id means nothing to the NGO), and the home label is not shown
    assert "ของบ้าน" not in nick.get(f"/dashboard?label={home}").text
    home_page = client.get(f"/dashboard/cases/{case_id}").text
    assert "ของเอ็นจีโอ" not in home_page and "ของบ้าน" in home_page
    assert [r.id for r in in_session(labels.case_labels, people["default"], case_id)] == [home]
    assert [r.id for r in in_session(labels.case_labels, people["ngo-nan"], case_id)] == [
        ngo_label]
    assert in_session(service.get_case, case_id).agency_id == people["default"]
