"""The NRM panel of the case page over real HTTP (SQLite and PostgreSQL): move a stage with its
record, a move the pathway refuses is a 422 page with the pathway's message, an MDT conference
is recorded and moves the stage, the timeline shows stages, referrals and conferences, and
every change is audited. Another agency sees the timeline without what it was not given."""

from __future__ import annotations

import html
import re
from datetime import date

import httpx
import pytest

from cases import audit, stages
from content.catalogue import texts
from saphan.db import in_session
from testsupport.cases import Gateway
from testsupport.nrm_world import PASSWORD, World, hand_over, make_world, new_case

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
T = texts("dashboard_nrm", "th")  # the dashboard's default language


@pytest.fixture
def world(gateway: Gateway) -> World:
    return make_world()


def login(gateway: Gateway, username: str) -> tuple[httpx.Client, str]:
    client = gateway.client()
    page = client.get("/dashboard/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/dashboard/login", data={"username": username, "password": PASSWORD,
                                                 "csrf": token}).status_code == 303
    return client, CSRF.search(client.get("/dashboard").text).group(1)  # type: ignore[union-attr]


def timeline(page: str) -> list[tuple[str, str]]:
    return re.findall(r'class="nrm-item" data-kind="(\w+)" data-title="(\w+)"', page)


def test_a_caseworker_walks_the_pathway_on_the_case_page(gateway: Gateway, world: World) -> None:
    case_id = new_case(world, province="Tak")
    url = f"/dashboard/cases/{case_id}"
    client, token = login(gateway, "somchai")
    page = client.get(url).text
    assert T["nrm_title"] in page and T["nrm_stage_report_received"] in page
    assert re.findall(r'class="nrm-move" data-to="(\w+)"', page) == ["screening", "fact_check"]
    assert 'id="mdt-form"' in page and T["nrm_mdt_wording"] in page

    moved = client.post(f"{url}/stage", data={
        "csrf": token, "to_stage": "fact_check", "r_fact_check_date": "2026-12-01",
        "r_rescue": "yes"})
    assert moved.status_code == 303
    incomplete = client.post(f"{url}/stage", data={
        "csrf": token, "to_stage": "temporary_protection", "r_start_date": "2026-12-01"})
    assert incomplete.status_code == 422
    assert "moving to temporary_protection: shelter: required" in html.unescape(incomplete.text)
    assert in_session(stages.current, case_id) == "fact_check"

    hand_over(world, case_id, "somchai", "ngo", ["summary"])
    ngo, ngo_token = login(gateway, "ngo")
    refused = ngo.post(f"{url}/stage", data={
        "csrf": ngo_token, "to_stage": "temporary_protection", "r_shelter": "a safe house",
        "r_start_date": "2026-12-01"})
    assert refused.status_code == 422
    assert ("ngo may not move a case from fact_check to temporary_protection; allowed: "
            "msdhs_provincial, shelter, police") in html.unescape(refused.text)

    assert client.post(f"{url}/stage", data={
        "csrf": token, "to_stage": "temporary_protection", "r_shelter": "Tak shelter",
        "r_start_date": date.today().isoformat()}).status_code == 303
    page = client.get(url).text
    assert 'class="badge nrm-due"' in page and "Tak shelter" in page

    recorded = client.post(f"{url}/mdt", data={
        "csrf": token, "held_on": date.today().isoformat(), "decision": "identified",
        "basis": "MDT interview with a Burmese interpreter",
        "attendee_agency": [str(world.agencies["tak-msdhs"]),
                            str(world.agencies["tak-police-atp"]), ""],
        "attendee_role": ["social worker", "investigator", ""],
        "indicators": ["cr_documents", "dr_wages"],
        "step_action": ["shelter placement", ""],
        "step_agency": [str(world.agencies["tak-shelter"]), ""],
        "step_due": ["2026-12-20", ""]})
    assert recorded.status_code == 303, recorded.text
    page = client.get(url).text
    assert timeline(page) == [
        ("stage", "report_received"), ("stage", "fact_check"), ("referral", "accepted"),
        ("stage", "temporary_protection"), ("mdt", "identified"), ("stage", "mdt_interview"),
        ("stage", "identified")]
    assert "MDT interview with a Burmese interpreter" in page and "shelter placement" in page
    assert 'data-track="main" data-stage="identified"' in page
    assert re.findall(r'class="nrm-move" data-to="(\w+)"', page) == [
        "protection_assistance", "return_reintegration", "prosecution_support"]
    actions = [(e.action, e.detail) for e in in_session(audit.entries, case_id)
               if e.action in ("stage", "mdt")]
    assert actions == [("stage", "report_received -> fact_check"),
                       ("stage", "fact_check -> temporary_protection"), ("mdt", "identified")]

    # The NGO sees the timeline, but not the shelter (no "location") nor the MDT's basis.
    ngo_page = ngo.get(url).text
    assert timeline(ngo_page) == timeline(page)
    assert "Tak shelter" not in ngo_page and "Burmese interpreter" not in ngo_page
    assert re.findall(r'class="nrm-move" data-to="(\w+)"', ngo_page) == [
        "protection_assistance", "return_reintegration", "prosecution_support"]


def test_a_bad_mdt_form_and_an_agency_off_the_case(gateway: Gateway, world: World) -> None:
    case_id = new_case(world)
    url = f"/dashboard/cases/{case_id}"
    client, token = login(gateway, "somchai")
    bad = client.post(f"{url}/mdt", data={
        "csrf": token, "held_on": "05/12/2026", "decision": "identified", "basis": "x"})
    assert bad.status_code == 422 and "held_on: &#39;05/12/2026&#39; is not a date" in bad.text
    early = client.post(f"{url}/mdt", data={
        "csrf": token, "held_on": "2026-12-01", "decision": "identified", "basis": "x",
        "attendee_agency": [str(world.agencies["tak-msdhs"])] * 2,
        "attendee_role": ["a", "b"]})
    assert early.status_code == 422
    assert "no move from report_received to mdt_interview" in html.unescape(early.text)
    police, police_token = login(gateway, "police")
    for path in ("", "/stage", "/mdt"):
        response = police.post(f"{url}{path}", data={
            "csrf": police_token, "to_stage": "screening", "decision": "deferred"}) \
            if path else police.get(url)
        assert response.status_code == 404, path
    assert in_session(stages.current, case_id) == "report_received"
