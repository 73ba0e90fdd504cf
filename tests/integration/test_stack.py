"""Real Rasa + action server: REST replies, a custom action over the rasa-sdk protocol, health."""

from __future__ import annotations

import uuid

import httpx
import pytest

from testsupport.stack import Stack

pytestmark = pytest.mark.integration


def domain_texts(stack: Stack, response: str) -> set[str]:
    domain = httpx.get(f"{stack.rasa_url}/domain", headers={"Accept": "application/json"},
                       params=stack.rasa_auth, timeout=10).json()
    return {variation["text"] for variation in domain["responses"][response]}


def test_rest_channel_answers_a_greeting(rasa_stack: Stack) -> None:
    reply = httpx.post(
        f"{rasa_stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": f"t-{uuid.uuid4().hex}", "message": "hello"},
        timeout=30,
    )
    assert reply.status_code == 200
    texts = [m["text"] for m in reply.json() if "text" in m]
    assert texts and texts[0] in domain_texts(rasa_stack, "utter_greet")


def test_custom_action_runs_on_the_action_server(rasa_stack: Stack) -> None:
    """Rasa 3.6 calls the rasa-sdk action server and applies the events it returns."""
    sender = f"t-{uuid.uuid4().hex}"
    created = httpx.post(  # Rasa 3.6 only executes actions in an existing conversation
        f"{rasa_stack.rasa_url}/conversations/{sender}/tracker/events",
        json={"event": "action", "name": "action_listen"}, params=rasa_stack.rasa_auth,
        timeout=30,
    )
    assert created.status_code == 200, created.text
    result = httpx.post(
        f"{rasa_stack.rasa_url}/conversations/{sender}/execute",
        json={"name": "action_ping"}, params=rasa_stack.rasa_auth, timeout=30,
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert {"recipient_id": sender, "custom": {"pong": sender}} in body["messages"]
    # The events the action returned are applied to the stored conversation.
    tracker = httpx.get(f"{rasa_stack.rasa_url}/conversations/{sender}/tracker",
                        params=rasa_stack.rasa_auth, timeout=30).json()
    assert tracker["slots"]["last_ping_sender"] == sender
    names = [event.get("name") for event in tracker["events"]]
    assert names.count("action_ping") == 1


def test_action_server_lists_the_ping_action(rasa_stack: Stack) -> None:
    token = rasa_stack.settings.action_server_token.get_secret_value()
    actions = httpx.get(f"{rasa_stack.action_server_url}/actions", timeout=10,
                        headers={"X-Saphan-Action-Token": token}).json()
    assert {"name": "action_ping"} in actions
