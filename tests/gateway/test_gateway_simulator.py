"""Simulator API in process (SQLite and PostgreSQL): same inbox pipeline, answers in the outbox."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from saphan.db import reset_caches
from testsupport.fake_line import FakeLine

pytestmark = pytest.mark.usefixtures("gateway_env")
USER = "sim-0123456789abcdef"


def wait_messages(client: TestClient, audience: str, after: int = 0) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        batches = client.get(f"/simulator/api/{audience}/messages",
                             params={"user": USER, "after": after}).json()
        if batches:
            return batches
        time.sleep(0.05)
    raise TimeoutError("no simulator message")


def test_follow_language_and_fallback_through_the_pipeline(fake_line: FakeLine):
    with TestClient(create_app()) as client:
        assert client.get("/simulator").status_code == 200
        assert "simulator.js" in client.get("/simulator").text
        assert client.post("/simulator/api/officer/events",
                           json={"user": USER, "follow": True}).status_code == 200
        [welcome] = wait_messages(client, "officer")
        items = welcome["messages"][0]["quickReply"]["items"]
        assert {i["action"]["data"] for i in items} == {"lang=th", "lang=en"}
        client.post("/simulator/api/officer/events", json={"user": USER, "postback": "lang=en"})
        [language] = wait_messages(client, "officer", welcome["id"])
        # the privacy notice in English (the welcome was Thai), then the confirmation
        assert language["messages"][0]["text"].startswith("Privacy:")
        assert language["messages"][-1]["text"].startswith("Language set to English")
        client.post("/simulator/api/officer/events", json={"user": USER, "text": "hello"})
        [fallback] = wait_messages(client, "officer", language["id"])  # Rasa is unreachable
        assert "191" in fallback["messages"][0]["text"]
        assert client.get("/simulator/api/public/messages", params={"user": USER}).json() == []
    assert fake_line.calls(status=None) == []  # the simulator never talks to LINE


def test_simulator_can_be_disabled(monkeypatch):
    monkeypatch.setenv("SAPHAN_SIMULATOR_ENABLED", "false")
    reset_caches()
    with TestClient(create_app()) as client:
        assert client.get("/simulator").status_code == 404
        assert client.post("/simulator/api/public/events",
                           json={"user": USER, "text": "hi"}).status_code == 404


@pytest.mark.parametrize("body", [
    {"user": "U123", "text": "hi"}, {"user": USER}, {"user": USER, "text": ""},
    {"user": USER, "latitude": 200, "longitude": 1},
])
def test_invalid_simulator_input_is_rejected(body):
    with TestClient(create_app()) as client:
        assert client.post("/simulator/api/public/events", json=body).status_code == 422
        assert client.post("/simulator/api/boss/events",
                           json={"user": USER, "text": "hi"}).status_code == 422
