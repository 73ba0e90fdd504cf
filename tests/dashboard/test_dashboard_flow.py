"""The caseworker flow over real HTTP: live queue (SSE), claim, reply and service card to the
user on (fake) LINE, referral, notes, status, CSV export in HTCDS names, close and resume."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from dashboard_helpers import PASSWORD, login

from cases import service
from cases.accounts import add_caseworker
from cases.htcds import REFERENCE, case_fields, parse_fields
from content.catalogue import full_languages, languages, texts
from gateway import users
from referral_directory.bundled import load_bundled
from saphan.db import in_session, session_scope
from saphan.settings import get_settings
from testsupport.cases import Gateway
from testsupport.polling import wait_for


@pytest.fixture
def alice(app_env: str) -> int:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice").id


def line_user(line_user_id: str, language: str | None = None) -> users.User:
    return in_session(users.get_or_create, "public", line_user_id,
                      get_settings().pseudonym_key.get_secret_value(), language=language)


def test_new_case_arrives_on_the_event_stream(gateway: Gateway, alice: int) -> None:
    client, _ = login(gateway, "alice")
    received: list[dict] = []

    def listen() -> None:
        with client.stream("GET", "/dashboard/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    wait_for(lambda: gateway.runtime.live.subscribers)
    case_id = gateway.create_case(priority="high").json()["id"]
    listener.join(10)
    assert received and received[0]["kind"] == "case_created"
    assert received[0]["case"]["id"] == case_id and received[0]["case"]["priority"] == "high"


def test_caseworker_handles_a_case_end_to_end(gateway: Gateway, alice: int) -> None:
    with session_scope() as session:
        load_bundled(session)
    user = line_user("Uvictim1", "en")  # the person's language decides what they are told
    case_id = gateway.create_case(conversation_id=user.conversation_id, province="Chiang Mai",
                                  latitude=18.79, longitude=98.99,
                                  screening={"indicators": "documents withheld"}).json()["id"]
    client, token = login(gateway, "alice")
    queue = client.get("/dashboard").text
    assert f'id="case-{case_id}"' in queue
    assert client.post(f"/dashboard/cases/{case_id}/claim", data={"csrf": token}).is_redirect
    page = client.get(f"/dashboard/cases/{case_id}").text
    assert "documents withheld" in page and "maps/search/?api=1&amp;query=18.79,98.99" in page
    assert 'class="service"' in page  # suggested services from the directory

    client.post(f"/dashboard/cases/{case_id}/reply", data={"csrf": token, "text": "I am here."})
    pushed = wait_for(lambda: gateway.line.messages_to("Uvictim1"))
    assert pushed[0] == ("push", {"type": "text", "text": "I am here."})

    service_id = int(page.split('data-service-id="')[1].split('"')[0])
    client.post(f"/dashboard/cases/{case_id}/services",
                data={"csrf": token, "service_id": str(service_id)})
    cards = wait_for(lambda: [m for _, m in gateway.line.messages_to("Uvictim1")
                              if m["type"] == "flex"])
    assert cards[0]["contents"]["type"] == "carousel"

    client.post(f"/dashboard/cases/{case_id}/referrals", data={
        "csrf": token, "service_name": "Shelter A", "organisation": "MSDHS",
        "reason": "AdditionalServicesRequired", "details": "2 nights"})
    client.post(f"/dashboard/cases/{case_id}/notes", data={"csrf": token, "body": "follow up"})
    client.post(f"/dashboard/cases/{case_id}/status", data={"csrf": token, "value": "FollowUp"})
    bad = client.post(f"/dashboard/cases/{case_id}/status", data={"csrf": token, "value": "X"})
    assert bad.status_code == 422
    assert [m.sender for m in in_session(service.transcript, case_id)] == [
        "caseworker", "caseworker"]

    closed = client.post(f"/dashboard/cases/{case_id}/close", data={
        "csrf": token, "outcome": "ClosedReferred", "reason": "referred to shelter"})
    assert closed.status_code == 303
    case = in_session(service.get_case, case_id)
    assert case.status == "ClosedReferred" and not case.handoff_active
    assert gateway.rasa.tracker_events == []  # the case row held the hand-off, not Rasa
    last = wait_for(lambda: gateway.line.messages_to("Uvictim1")[2:])
    assert "automatic assistant" in last[-1][1]["text"]
    assert f'id="case-{case_id}"' not in client.get("/dashboard").text  # left the queue

    export = client.get("/dashboard/export.csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert export.headers["content-type"].startswith("text/csv")
    assert rows[0]["cas_Status"] == "ClosedReferred"
    assert rows[0]["cas_ReferredOrganisation"] == "MSDHS"
    assert rows[0]["cas_ReasonForOutgoingReferral"] == "AdditionalServicesRequired"
    assert rows[0]["cas_ReasonForCaseClosure"] == "referred to shelter"


def test_export_uses_htcds_names_parsed_from_the_reference(gateway: Gateway, alice: int) -> None:
    gateway.create_case()
    client, _ = login(gateway, "alice")
    header = next(csv.reader(io.StringIO(client.get("/dashboard/export.csv").text)))
    reference = parse_fields(REFERENCE.read_text(encoding="utf-8"))
    htcds = [name for name in header if name.startswith("cas_")]
    assert htcds and set(htcds) <= set(reference)
    assert all(name.startswith(("cas_", "org_", "saphan_")) for name in header)
    assert reference["cas_Status"].values == ("Active", "FollowUp", "Closed", "ClosedReferred")
    assert case_fields()["cas_ReasonForOutgoingReferral"].type == "Picklist"


def test_interface_is_thai_by_default_and_switches_to_english(gateway: Gateway,
                                                              alice: int) -> None:
    keys = [set(texts("dashboard", lang)) for lang in languages("dashboard")]
    assert keys[0] == keys[1] and languages("dashboard") == full_languages("dashboard") \
        == ("th", "en")
    client, token = login(gateway, "alice")
    assert texts("dashboard", "th")["queue"] in client.get("/dashboard").text
    client.post("/dashboard/language", data={"csrf": token})
    page = client.get("/dashboard").text
    assert texts("dashboard", "en")["queue"] in page and 'name="viewport"' in page
