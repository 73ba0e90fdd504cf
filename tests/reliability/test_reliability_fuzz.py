"""Hostile webhook bodies and messages against the real gateway over HTTP: never a 5xx,
rejected bodies leave no row behind, accepted events are stored intact and answered."""

from __future__ import annotations

import json
import socket
import uuid

import httpx
import pytest
from hostile_inputs import HOSTILE_TEXTS, MALFORMED_BODIES, body, event, odd_events
from sqlalchemy import func, select

from gateway.models import InboxEvent, LineUser
from gateway.signature import sign
from saphan.db import session_scope
from testsupport.cases import CHANNELS, Gateway
from testsupport.polling import wait_for

SECRET = {c["name"]: c["secret"] for c in CHANNELS}


def post(gateway: Gateway, raw: bytes, signed: bool, channel: str = "public") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signed:
        headers["X-Line-Signature"] = sign(SECRET[channel], raw)
    return httpx.post(f"{gateway.url}/line/{channel}/webhook", content=raw, headers=headers,
                      timeout=30)


def lying_content_length(url: str) -> bytes:
    """The status line answering a request that declares a 1 GB body and sends 2 bytes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /line/public/webhook HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nX-Line-Signature: x\r\n"
                     b"Content-Length: 999999999\r\n\r\n{}")
        return sock.recv(100)


def rows() -> list[InboxEvent]:
    with session_scope() as session:
        found = list(session.execute(select(InboxEvent).order_by(InboxEvent.id)).scalars())
        session.expunge_all()
        return found


def user_count() -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(LineUser)).scalar_one())


def assert_still_answers(gateway: Gateway) -> None:
    """The gateway (webhook + workers) still works after the abuse."""
    probe = gateway.line.text_event(f"Uprobe{uuid.uuid4().hex[:8]}", "hello after fuzz")
    assert post(gateway, body([probe]), signed=True).status_code == 200
    wait_for(lambda: gateway.line.messages_to(probe["source"]["userId"]), timeout=20)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_malformed_bodies_are_4xx_and_store_nothing(gateway: Gateway, signed: bool) -> None:
    wrong = {}
    for name, raw in MALFORMED_BODIES.items():
        response = post(gateway, raw, signed)
        if not 400 <= response.status_code < 500 or "error" not in response.text:
            wrong[name] = response.status_code
    assert wrong == {}, f"bodies not refused with a 4xx JSON error: {wrong}"
    assert rows() == [] and user_count() == 0
    assert gateway.line.calls("/v2/bot/message/", status=None) == []
    assert_still_answers(gateway)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_huge_bodies_are_413_and_store_nothing(gateway: Gateway, signed: bool) -> None:
    huge = body([event("Ehuge", "Uhuge", message={"id": "1", "type": "text",
                                                  "text": "ก" * 1_200_000})])
    assert post(gateway, huge, signed).status_code == 413
    # a lying Content-Length is refused before the body is read
    assert lying_content_length(gateway.url).startswith(b"HTTP/1.1 413")
    assert rows() == []
    assert_still_answers(gateway)


def test_hostile_texts_are_stored_intact_and_answered(gateway: Gateway) -> None:
    sent = {name: gateway.line.text_event(f"U{name[:20]}{uuid.uuid4().hex[:6]}", text)
            for name, text in HOSTILE_TEXTS.items()}
    for name, item in sent.items():  # one body each, and one body with all of them
        response = post(gateway, body([item]), signed=True)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["accepted"] == 1, name
    again = post(gateway, body(list(sent.values())), signed=True)
    assert again.json() == {"accepted": 0, "redeliveries": len(sent), "ignored": 0}
    stored = {r.webhook_event_id: json.loads(r.payload) for r in rows()}
    for name, item in sent.items():
        assert stored[item["webhookEventId"]]["message"]["text"] == HOSTILE_TEXTS[name], name
    for name, item in sent.items():
        user = item["source"]["userId"]
        delivered = wait_for(lambda u=user: gateway.line.messages_to(u), timeout=30)
        assert len(delivered) == 1, name  # answered exactly once, despite the redelivery
        assert all(len(m.get("text", "")) <= 5000 for _, m in delivered), name
    wait_for(lambda: all(r.status == "done" for r in rows()), timeout=30)


def test_odd_event_fields_never_cause_a_5xx_or_a_partial_write(gateway: Gateway) -> None:
    outcomes, server_errors = {}, {}
    for name, item in odd_events("Eodd").items():
        response = post(gateway, body([item, event(f"{name}-ok", f"U{name}-ok")]), signed=True)
        if response.status_code >= 500:
            server_errors[name] = response.status_code
        ids = {r.webhook_event_id for r in rows()}
        outcomes[name] = response.status_code
        if response.status_code == 200:
            assert {item["webhookEventId"], f"{name}-ok"} <= ids, name
        else:  # all or nothing: the valid event in the same body is not stored either
            assert not {item["webhookEventId"], f"{name}-ok"} & ids, name
    assert server_errors == {}, f"5xx for odd event fields: {server_errors}"
    assert 200 in outcomes.values()
    assert_still_answers(gateway)
    # events the workers could not make sense of are not left stuck in processing
    wait_for(lambda: not [r for r in rows() if r.status == "processing"], timeout=20)
