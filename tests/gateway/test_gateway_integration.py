"""The gateway as a real process, driven by signed webhooks from the fake LINE platform,
talking to real Rasa + action server (through a TCP proxy the tests can cut)."""

from __future__ import annotations

import signal
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from gateway_helpers import SECRET, gateway_process
from gateway_tcp_proxy import DOWN, FORWARD, HOLD, TcpProxy
from sqlalchemy import select

from gateway.models import InboxEvent, LineUser
from saphan.db import make_engine
from saphan.line_messages import rasa_to_line
from saphan.settings import Settings
from testsupport.channels import channel_settings
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine
from testsupport.stack import Stack, free_port

pytestmark = pytest.mark.integration


@dataclass
class Live:
    settings: Settings
    line: FakeLine
    proxy: TcpProxy
    rasa_url: str
    log: Path

    def events(self) -> list[InboxEvent]:
        engine = make_engine(self.settings.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(select(InboxEvent).order_by(InboxEvent.id)).all())
        finally:
            engine.dispose()

    def send(self, *events: dict, channel: str = "public") -> httpx.Response:
        response = self.line.send_webhook(self.settings.gateway_url, channel, SECRET[channel],
                                          list(events))
        assert response.status_code == 200, response.text
        return response

    def expected_answer(self, text: str, language: str = "en",
                        channel: str = "public") -> list[dict]:
        """What Rasa itself answers `text` in a fresh conversation, mapped to LINE messages."""
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", timeout=60, json={
            "sender": f"probe-{uuid.uuid4().hex}", "message": text,
            "metadata": {"channel": channel, "audience": channel, "language": language,
                         "location": None}})
        messages = rasa_to_line(response.json())
        assert messages, f"Rasa has no answer to {text!r}"
        return messages


@pytest.fixture
def live(rasa_stack: Stack, tmp_path: Path) -> Iterator[Live]:
    proxy = TcpProxy(rasa_stack.settings.rasa_port, free_port()).start()
    with FakeLine() as line, migrated_database("sqlite", tmp_path) as db_url:
        settings = rasa_stack.settings.model_copy(update={
            "database_url": db_url, "gateway_port": free_port(), "rasa_url": proxy.url,
            "line_api_base_url": line.url, "line_channels": channel_settings(),
            "rasa_timeout_s": 60.0, "inbox_retry_base_s": 0.5, "inbox_retry_max_s": 1.0,
            "inbox_lease_s": 3.0,  # a killed gateway's event is taken over after its lease
        })
        try:
            yield Live(settings, line, proxy, rasa_stack.rasa_url, tmp_path / "gateway.log")
        finally:
            proxy.close()


def texts(messages: list) -> list[str]:
    return [m.get("text") or m.get("altText") for m in messages]


def test_text_is_answered_by_rasa_via_reply_api(live: Live):
    expected = live.expected_answer("hello")
    with gateway_process(live.settings, live.log):
        live.send(live.line.text_event("Ualice", "hello"))
        delivered = live.line.wait_for(lambda: live.line.messages_to("Ualice"), timeout=60)
    assert [kind for kind, _ in delivered] == ["reply"] * len(delivered)
    assert texts([m for _, m in delivered]) == texts(expected)
    # Rasa knows the conversation only by its pseudonymous id
    engine = make_engine(live.settings.database_url)
    with engine.connect() as conn:
        conversation = conn.execute(select(LineUser.conversation_id)).scalar_one()
    engine.dispose()
    assert "Ualice" not in conversation
    tracker = httpx.get(f"{live.rasa_url}/conversations/{conversation}/tracker", timeout=30,
                        params={"token": live.settings.rasa_auth_token.get_secret_value()})
    assert [e["text"] for e in tracker.json()["events"] if e["event"] == "user"] == ["hello"]
    db = live.settings.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT sender_id, data FROM events").fetchall()
    assert rows and not any("Ualice" in f"{sender}{data}" for sender, data in rows)


def test_expired_reply_token_falls_back_to_push(live: Live):
    event = live.line.text_event("Ubob", "hello")
    live.line.expire_reply_token(event["replyToken"])
    with gateway_process(live.settings, live.log):
        live.send(event)
        delivered = live.line.wait_for(lambda: live.line.messages_to("Ubob"), timeout=60)
    assert {kind for kind, _ in delivered} == {"push"}
    assert all(c.headers.get("x-line-retry-key") for c in live.line.pushes())
    assert live.line.replies() == []


def test_redelivered_event_is_answered_once(live: Live):
    event = live.line.text_event("Ucarol", "hello")
    with gateway_process(live.settings, live.log):
        live.send(event)
        assert live.send(FakeLine.redelivery(event)).json()["redeliveries"] == 1
        live.line.wait_for(lambda: [e for e in live.events() if e.status == "done"], timeout=60)
        assert live.send(FakeLine.redelivery(event)).json() == {
            "accepted": 0, "redeliveries": 1, "ignored": 0}
        expected = live.expected_answer("hello")  # also gives the gateway time to misbehave
    assert len(live.line.messages_to("Ucarol")) == len(expected)
    assert len(live.line.replies()) == 1 and live.line.pushes() == []
    assert [(e.redeliveries, e.status) for e in live.events()] == [(2, "done")]


def test_forged_signature_is_rejected_and_nothing_stored(live: Live):
    with gateway_process(live.settings, live.log):
        body = FakeLine.webhook_body([live.line.text_event("Umallory", "hello")])
        forged = live.line.send_webhook(live.settings.gateway_url, "public", "not-the-secret",
                                        [], body=body)
        other_channel = live.line.send_webhook(live.settings.gateway_url, "officer",
                                               SECRET["public"], [], body=body)
    assert forged.status_code == other_channel.status_code == 401
    assert live.events() == []
    assert live.line.calls("/v2/bot/message/", status=None) == []


def test_events_of_one_user_reach_rasa_in_order(live: Live):
    words = ["hello", "thank you", "bye", "hi"]
    events = [live.line.text_event("Udave", w) for w in words]
    with gateway_process(live.settings, live.log):
        live.send(*events[:2])
        live.send(*events[2:])
        live.send(live.line.text_event("Uerin", "hello"))
        live.line.wait_for(lambda: all(e.status == "done" for e in live.events())
                           and len(live.events()) == 5, timeout=120)
    engine = make_engine(live.settings.database_url)
    with engine.connect() as conn:
        conversation = conn.execute(select(LineUser.conversation_id)
                                    .where(LineUser.line_user_id == "Udave")).scalar_one()
    engine.dispose()
    tracker = httpx.get(f"{live.rasa_url}/conversations/{conversation}/tracker", timeout=30,
                        params={"token": live.settings.rasa_auth_token.get_secret_value()})
    assert [e["text"] for e in tracker.json()["events"] if e["event"] == "user"] == words


def test_gateway_killed_mid_processing_completes_after_restart(live: Live):
    live.proxy.set_mode(HOLD)  # Rasa "thinks" forever: the event stays in processing
    with gateway_process(live.settings, live.log) as sup:
        live.send(live.line.text_event("Ufrank", "hello"))
        live.line.wait_for(lambda: [e for e in live.events() if e.status == "processing"],
                           timeout=30)
        sup.procs["gateway"].send_signal(signal.SIGKILL)
        sup.procs["gateway"].wait()
    assert [e.status for e in live.events()] == ["processing"]
    assert live.line.messages_to("Ufrank") == []
    live.proxy.set_mode(FORWARD)
    expected = live.expected_answer("hello")
    with gateway_process(live.settings, live.log):
        delivered = live.line.wait_for(lambda: live.line.messages_to("Ufrank"), timeout=60)
        live.line.wait_for(lambda: live.events()[0].status == "done", timeout=30)
    assert texts([m for _, m in delivered]) == texts(expected)


def test_rasa_down_fallback_then_real_answer(live: Live):
    live.proxy.set_mode(DOWN)
    expected = live.expected_answer("hello")
    with gateway_process(live.settings, live.log):
        live.send(live.line.text_event("Ugrace", "hello"))
        fallback = live.line.wait_for(lambda: live.line.messages_to("Ugrace"), timeout=30)
        assert [kind for kind, _ in fallback] == ["reply"]
        assert "191" in fallback[0][1]["text"] and "1300" in fallback[0][1]["text"]
        live.line.wait_for(lambda: live.events()[0].attempts >= 2, timeout=30)
        assert live.events()[0].status == "pending"
        live.proxy.set_mode(FORWARD)
        live.line.wait_for(lambda: live.events()[0].status == "done", timeout=60)
    delivered = live.line.messages_to("Ugrace")
    assert [kind for kind, _ in delivered[1:]] == ["push"] * len(expected)
    assert texts([m for _, m in delivered[1:]]) == texts(expected)


def test_postback_and_location_go_to_rasa_with_metadata(live: Live):
    expected = live.expected_answer("/greet", language="th", channel="officer")
    location = {"type": "location", "latitude": 13.75, "longitude": 100.5, "address": "BKK"}
    with gateway_process(live.settings, live.log):
        live.send(live.line.postback_event("Uheidi", "/greet"), channel="officer")
        delivered = live.line.wait_for(lambda: live.line.messages_to("Uheidi"), timeout=60)
        live.send(live.line.message_event("Uheidi", location), channel="officer")
        live.line.wait_for(lambda: len(live.events()) == 2
                           and all(e.status == "done" for e in live.events()), timeout=60)
    assert texts([m for _, m in delivered]) == texts(expected)
    engine = make_engine(live.settings.database_url)
    with engine.connect() as conn:
        conversation = conn.execute(select(LineUser.conversation_id)).scalar_one()
    engine.dispose()
    tracker = httpx.get(f"{live.rasa_url}/conversations/{conversation}/tracker", timeout=30,
                        params={"token": live.settings.rasa_auth_token.get_secret_value()})
    user_events = [e for e in tracker.json()["events"] if e["event"] == "user"]
    assert [e["text"] for e in user_events] == ["/greet", "/find_service"]
    metadata = user_events[1]["metadata"]
    assert metadata["audience"] == "officer" and metadata["channel"] == "officer"
    assert metadata["location"] == {"latitude": 13.75, "longitude": 100.5, "address": "BKK"}
