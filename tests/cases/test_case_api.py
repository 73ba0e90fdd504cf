"""Internal case API over real HTTP: bearer auth, escalation pauses Rasa and notifies
caseworkers on LINE (fake LINE server), urgent re-notification, the handoff relay."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cases import runtime, service
from cases.client import CaseApiError, CaseClient
from cases.testing import TOKEN, Gateway, wait_for
from gateway import outbox, users
from gateway.app import create_app
from saphan.settings import get_settings


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
    service.create_case(service.NewCase("c-auth", "normal", "request"))
    for method, path in routes:
        url = gateway.url + path.replace("{case_id}", "1")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = httpx.request(method, url, headers=headers, json={}, timeout=10)
            assert response.status_code == 401, (method, path, headers)


def text_pushes_to(gateway: Gateway, user_id: str) -> list[str]:
    return [m["text"] for kind, m in gateway.line.messages_to(user_id) if kind == "push"]


def test_escalation_pauses_rasa_and_notifies_caseworkers(gateway: Gateway) -> None:
    response = gateway.create_case(conversation_id="conv-9", priority="high",
                                   province="Chiang Mai")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] and body["status"] == "Active" and body["handoff_active"]
    assert body["dashboard_url"] == f"{gateway.url}/dashboard/cases/{body['id']}"
    wait_for(lambda: gateway.rasa.events_of("conv-9") == ["pause"])
    pushed = wait_for(lambda: text_pushes_to(gateway, "Ucaseworker1"))
    assert body["dashboard_url"] in pushed[0] and "high" in pushed[0]
    assert "Chiang Mai" in pushed[0]
    again = gateway.create_case(conversation_id="conv-9", priority="high")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert not again.json()["created"]
    assert text_pushes_to(gateway, "Usupervisor") == []  # wide-only: not for high priority


def test_unclaimed_urgent_case_is_notified_again_wider(gateway: Gateway) -> None:
    case_id = gateway.create_case(conversation_id="conv-u", priority="urgent").json()["id"]
    wait_for(lambda: text_pushes_to(gateway, "Ucaseworker1"))
    wider = wait_for(lambda: text_pushes_to(gateway, "Usupervisor"), timeout=10)
    assert f"#{case_id}" in wider[0] and "URGENT" in wider[0]
    assert len(text_pushes_to(gateway, "Ucaseworker1")) == 2  # again, to everyone
    assert service.get_case(case_id).notify_level == service.WIDE


def test_invalid_escalation_is_refused_with_reason(gateway: Gateway) -> None:
    response = gateway.create_case(priority="sometime")
    assert response.status_code == 422 and "priority" in response.text
    assert service.all_cases() == []


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
    assert [m.sender for m in service.transcript(created["id"])] == ["user", "bot"]
    with pytest.raises(CaseApiError, match="401"):
        asyncio.run(CaseClient(gateway.url, "nope").get_case(created["id"]))


def test_handoff_relay_puts_user_messages_in_the_case_not_rasa(gateway: Gateway) -> None:
    secret = get_settings().secret_key.get_secret_value()
    user = users.get_or_create("public", "Uuser42", secret)
    case_id = gateway.create_case(conversation_id=user.conversation_id).json()["id"]
    current = runtime.current()
    assert current is not None

    def in_gateway_loop(coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, current.loop).result(10)

    assert in_gateway_loop(runtime.to_case(user.conversation_id, "they took my passport"))
    assert [m.body for m in service.transcript(case_id)] == ["they took my passport"]
    assert not in_gateway_loop(runtime.to_case("someone-else", "hello"))
    in_gateway_loop(current.end_handoff(case_id, None))
    assert not in_gateway_loop(runtime.to_case(user.conversation_id, "thanks"))  # bot again
    wait_for(lambda: gateway.rasa.events_of(user.conversation_id) == ["pause", "resume"])
    told = wait_for(lambda: [m for _, m in gateway.line.messages_to("Uuser42")])
    assert "automatic assistant" in told[-1]["text"]


def test_caseworker_reply_reaches_a_simulator_user_through_the_outbox(gateway: Gateway) -> None:
    secret = get_settings().secret_key.get_secret_value()
    user = users.get_or_create("simulator-public", "sim-abcdef123", secret)
    case_id = gateway.create_case(conversation_id=user.conversation_id).json()["id"]
    current = runtime.current()
    assert current is not None
    asyncio.run_coroutine_threadsafe(current.reply(case_id, None, "Hello from a caseworker"),  # type: ignore[arg-type]
                                     current.loop).result(10)
    sent = outbox.sent_to("simulator-public", "sim-abcdef123")
    assert [m for _, batch in sent for m in batch] == [
        {"type": "text", "text": "Hello from a caseworker"}]
    assert gateway.line.pushes() == [] or all(
        c.body["to"] != "sim-abcdef123" for c in gateway.line.pushes())
