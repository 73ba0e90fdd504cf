"""Internal case API over real HTTP: bearer auth, escalation starts the hand-off and notifies
caseworkers on LINE (fake LINE server), urgent re-notification, the handoff relay."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cases import service
from cases.client import CaseApiError, CaseClient
from cases.runtime import RelayError
from gateway import outbox, users
from gateway.app import create_app
from saphan.db import in_session
from saphan.settings import get_settings
from testsupport.cases import TOKEN, Gateway
from testsupport.polling import wait_for


def internal_routes() -> list[tuple[str, str]]:
    """(method, path) of every /internal/cases route, read from the app."""
    found = []
    for route in create_app().routes:
        contexts = route.effective_route_contexts() if hasattr(
            route, "effective_route_contexts") else [route]
        for ctx in contexts:
            path = getattr(ctx, "path", "")
            if path.startswith("/internal/"):
                found += [(m, path) for m in sorted(getattr(ctx, "methods", None) or [])]
    return found


def test_every_internal_route_needs_the_bearer_token(gateway: Gateway) -> None:
    routes = internal_routes()
    assert len(routes) >= 4
    in_session(service.create_case, service.NewCase("c-auth", "normal", "request"))
    for method, path in routes:
        url = gateway.url + path.replace("{case_id}", "1")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = httpx.request(method, url, headers=headers, json={}, timeout=10)
            assert response.status_code == 401, (method, path, headers)


def text_pushes_to(gateway: Gateway, user_id: str) -> list[str]:
    return [m["text"] for kind, m in gateway.line.messages_to(user_id) if kind == "push"]


def test_escalation_starts_the_handoff_and_notifies_caseworkers(gateway: Gateway) -> None:
    response = gateway.create_case(conversation_id="conv-9", priority="high",
                                   province="Chiang Mai")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] and body["status"] == "Active" and body["handoff_active"]
    assert body["dashboard_url"] == f"{gateway.url}/dashboard/cases/{body['id']}"
    assert in_session(service.handoff_case_for, "conv-9").id == body["id"]
    pushed = wait_for(lambda: text_pushes_to(gateway, "Ucaseworker1"))
    assert body["dashboard_url"] in pushed[0] and "high" in pushed[0]
    assert "Chiang Mai" in pushed[0]
    again = gateway.create_case(conversation_id="conv-9", priority="high")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert not again.json()["created"]
    assert text_pushes_to(gateway, "Usupervisor") == []  # wide-only: not for high priority
    assert gateway.rasa.tracker_events == []  # the case row holds the hand-off, not Rasa


def test_unclaimed_urgent_case_is_notified_again_wider(gateway: Gateway) -> None:
    case_id = gateway.create_case(conversation_id="conv-u", priority="urgent").json()["id"]
    wait_for(lambda: text_pushes_to(gateway, "Ucaseworker1"))
    wider = wait_for(lambda: text_pushes_to(gateway, "Usupervisor"), timeout=10)
    assert f"#{case_id}" in wider[0] and "URGENT" in wider[0]
    assert len(text_pushes_to(gateway, "Ucaseworker1")) == 2  # again, to everyone
    assert in_session(service.get_case, case_id).notify_level == service.WIDE


def test_invalid_escalation_is_refused_with_reason(gateway: Gateway) -> None:
    response = gateway.create_case(priority="sometime")
    assert response.status_code == 422 and "priority" in response.text
    assert in_session(service.all_cases) == []


def test_client_creates_and_reads_cases(gateway: Gateway) -> None:
    client = CaseClient(gateway.url, TOKEN)

    async def scenario() -> tuple[dict, dict, dict]:
        created = await client.create_case(conversation_id="conv-c", priority="normal",
                                           source="self-report", summary="unpaid wages",
                                           transcript=[{"sender": "user", "text": "hi"}])
        await client.add_message(created["id"], "bot", "A caseworker will contact you.")
        referral = await client.add_referral(created["id"], service_name="Legal aid",
                                             reason="AdditionalServicesRequired")
        return created, await client.get_case(created["id"]), referral

    created, read, referral = asyncio.run(scenario())
    assert read["id"] == created["id"] and read["priority"] == "normal" and referral["id"]
    assert [m.sender for m in in_session(service.transcript, created["id"])] == ["user", "bot"]
    with pytest.raises(CaseApiError, match="401"):
        asyncio.run(CaseClient(gateway.url, "nope").get_case(created["id"]))


def test_handoff_relay_puts_user_messages_in_the_case_not_rasa(gateway: Gateway) -> None:
    secret = get_settings().session_key.get_secret_value()
    user = in_session(users.get_or_create, "public", "Uuser42", secret, "en")
    case_id = gateway.create_case(conversation_id=user.conversation_id).json()["id"]
    runtime = gateway.runtime

    assert gateway.run(runtime.to_case(user.conversation_id, "they took my passport"))
    assert [m.body for m in in_session(service.transcript, case_id)] == [
        "they took my passport"]
    assert not gateway.run(runtime.to_case("someone-else", "hello"))
    gateway.run(runtime.end_handoff(case_id, None))
    assert not gateway.run(runtime.to_case(user.conversation_id, "thanks"))  # bot again
    assert not in_session(service.get_case, case_id).handoff_active
    assert gateway.rasa.tracker_events == []  # Rasa is never paused or resumed over HTTP
    told = wait_for(lambda: [m for _, m in gateway.line.messages_to("Uuser42")])
    assert "automatic assistant" in told[-1]["text"]


def test_caseworker_reply_reaches_a_simulator_user_through_the_outbox(gateway: Gateway) -> None:
    secret = get_settings().session_key.get_secret_value()
    user = in_session(users.get_or_create, "simulator-public", "sim-abcdef123", secret)
    case_id = gateway.create_case(conversation_id=user.conversation_id).json()["id"]
    gateway.run(gateway.runtime.reply(case_id, None, "Hello from a caseworker"))
    sent = in_session(outbox.sent_to, "simulator-public", "sim-abcdef123")
    assert [m for _, batch in sent for m in batch] == [
        {"type": "text", "text": "Hello from a caseworker"}]
    assert gateway.line.pushes() == [] or all(
        c.body["to"] != "sim-abcdef123" for c in gateway.line.pushes())


def test_reply_to_an_unreachable_user_is_a_relay_error(gateway: Gateway) -> None:
    case_id = gateway.create_case(conversation_id="no-line-user").json()["id"]
    with pytest.raises(RelayError):
        gateway.run(gateway.runtime.reply(case_id, None, "hello?"))
