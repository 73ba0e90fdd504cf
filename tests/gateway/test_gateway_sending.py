"""Reply → push fallback and retries against the fake LINE platform (SQLite and PostgreSQL).

Rasa is unreachable here, so the message delivered is the fallback; the delivery rules are the
same for every message."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import SECRET
from sqlalchemy import select

from gateway.app import create_app
from gateway.models import InboxEvent, OutboxMessage
from gateway.signature import sign
from saphan.db import reset_caches, session_scope
from testsupport.fake_line import FakeLine

pytestmark = pytest.mark.usefixtures("gateway_env")
PUSH = "/v2/bot/message/push"


def deliver(fake_line: FakeLine, event: dict, env: dict[str, str] | None = None,
            monkeypatch: pytest.MonkeyPatch | None = None) -> None:
    for key, value in (env or {}).items():
        assert monkeypatch is not None
        monkeypatch.setenv(key, value)
    reset_caches()
    with TestClient(create_app()) as client:
        body = fake_line.webhook_body([event])
        response = client.post("/line/public/webhook", content=body, headers={
            "X-Line-Signature": sign(SECRET["public"], body)})
        assert response.status_code == 200
        fake_line.wait_for(lambda: fake_line.messages_to(event["source"]["userId"]), timeout=15)
        fake_line.wait_for(outbox_all_sent, timeout=10)


def outbox_all_sent() -> bool:
    with session_scope() as session:
        rows = session.execute(select(OutboxMessage)).scalars().all()
        return bool(rows) and all(r.sent_at is not None for r in rows)


def test_expired_reply_token_pushes_with_retry_key(fake_line: FakeLine):
    event = fake_line.text_event("U1", "hello")
    fake_line.expire_reply_token(event["replyToken"])
    deliver(fake_line, event)
    [push] = fake_line.pushes()
    assert push.body["to"] == "U1" and push.headers["x-line-retry-key"]
    assert fake_line.calls("/v2/bot/message/reply", status=400)
    with session_scope() as session:
        row = session.execute(select(OutboxMessage)).scalar_one()
        assert (row.method, row.retry_key) == ("push", push.headers["x-line-retry-key"])


def test_processing_that_ran_long_pushes(fake_line: FakeLine, monkeypatch):
    event = fake_line.text_event("U1", "hello")
    deliver(fake_line, event, {"SAPHAN_LINE_REPLY_TOKEN_TTL_S": "0"}, monkeypatch)
    assert fake_line.replies() == [] and len(fake_line.pushes()) == 1


def test_push_retried_on_5xx_and_429_with_the_same_retry_key(fake_line: FakeLine):
    event = fake_line.text_event("U1", "hello")
    fake_line.expire_reply_token(event["replyToken"])
    fake_line.fail_next(PUSH, 500)
    fake_line.fail_next(PUSH, 429)
    deliver(fake_line, event)
    attempts = fake_line.calls(PUSH, status=None)
    assert [c.status for c in attempts] == [500, 429, 200]
    assert len({c.headers["x-line-retry-key"] for c in attempts}) == 1
    assert len(fake_line.messages_to("U1")) == 1


def test_lost_response_retry_does_not_duplicate(fake_line: FakeLine):
    event = fake_line.text_event("U1", "hello")
    fake_line.expire_reply_token(event["replyToken"])
    fake_line.lose_next_response(PUSH)  # LINE sent it, but the gateway saw a 500
    deliver(fake_line, event)
    assert [c.status for c in fake_line.calls(PUSH, status=None)] == [200, 409]
    assert len(fake_line.messages_to("U1")) == 1


def test_line_down_keeps_event_queued_and_resends_same_batch(fake_line: FakeLine, monkeypatch):
    event = fake_line.text_event("U1", "hello")
    fake_line.expire_reply_token(event["replyToken"])
    fake_line.fail_next(PUSH, 503, times=4)  # two event attempts × 2 tries each
    deliver(fake_line, event, {"SAPHAN_LINE_SEND_ATTEMPTS": "2"}, monkeypatch)
    attempts = fake_line.calls(PUSH, status=None)
    assert [c.status for c in attempts] == [503, 503, 503, 503, 200]
    assert len({c.headers["x-line-retry-key"] for c in attempts}) == 1
    with session_scope() as session:
        assert len(session.execute(select(OutboxMessage)).scalars().all()) == 1
        row = session.execute(select(InboxEvent)).scalar_one()
        assert row.fallback_sent and row.attempts >= 3
    assert len(fake_line.messages_to("U1")) == 1
