"""A message LINE refuses for good (4xx other than 409/429) is dead-lettered at once: the
person's next message is not held behind it, and a caseworker learns of a refused emergency
through a case (SQLite and PostgreSQL; Rasa is unreachable here, so answers are the fallback,
which is what a person in danger gets first)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import SECRET
from sqlalchemy import select

from cases.models import Case, CaseMessage
from gateway.app import create_app
from gateway.models import FAILED, InboxEvent
from gateway.signature import sign
from saphan.db import reset_caches, session_scope
from testsupport.fake_line import FakeLine

pytestmark = pytest.mark.usefixtures("gateway_env")
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"


def post(client: TestClient, fake_line: FakeLine, event: dict) -> None:
    body = fake_line.webhook_body([event])
    response = client.post("/line/public/webhook", content=body,
                           headers={"X-Line-Signature": sign(SECRET["public"], body)})
    assert response.status_code == 200


def refuse_next_message(fake_line: FakeLine) -> None:
    fake_line.fail_next(REPLY, 400)
    fake_line.fail_next(PUSH, 400)


def events() -> list[InboxEvent]:
    with session_scope() as session:
        return list(session.execute(select(InboxEvent).order_by(InboxEvent.id)).scalars())


def test_refused_message_is_dead_lettered_and_the_next_one_is_answered(
        fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch) -> None:
    # A retried event would hold the person's queue for a minute at least.
    monkeypatch.setenv("SAPHAN_INBOX_RETRY_BASE_S", "60")
    reset_caches()
    refuse_next_message(fake_line)
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U1", "hello"))
        fake_line.wait_for(lambda: fake_line.calls(PUSH, status=400), timeout=15)
        sent = time.monotonic()
        post(client, fake_line, fake_line.text_event("U1", "help they are beating me"))
        fake_line.wait_for(lambda: fake_line.messages_to("U1"), timeout=15)
        print(f"next message answered {time.monotonic() - sent:.2f}s after it was sent")
    first, second = events()
    assert first.status == FAILED and "HTTP 400" in (first.last_error or "")
    # answered (the fallback, since Rasa is down here) and still queued for the real answer
    assert second.status != FAILED and second.fallback_sent
    assert [c.status for c in fake_line.calls(PUSH, status=None)] == [400]  # never retried
    assert [c.status for c in fake_line.calls(REPLY, status=None)] == [400, 200]


def test_refused_emergency_answer_reaches_a_caseworker_through_a_case(
        fake_line: FakeLine) -> None:
    reset_caches()
    refuse_next_message(fake_line)
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U2", "help they are beating me"))
        fake_line.wait_for(lambda: events() and events()[0].status == FAILED, timeout=15)

        def case_told() -> list[CaseMessage]:
            with session_scope() as session:
                return list(session.execute(select(CaseMessage).where(
                    CaseMessage.sender == "system")).scalars())
        [note] = fake_line.wait_for(case_told, timeout=15)
    with session_scope() as session:
        case = session.execute(select(Case)).scalar_one()
    assert (case.priority, case.source, case.handoff_active) == ("urgent", "emergency", True)
    assert note.case_id == case.id and "HTTP 400" in note.body
    with session_scope() as session:  # the caseworker reads what the person wrote
        said = [m.body for m in session.execute(select(CaseMessage).where(
            CaseMessage.case_id == case.id, CaseMessage.sender == "user")).scalars()]
    assert said == ["help they are beating me"]
    assert fake_line.messages_to("U2") == []  # nothing got through; the caseworker knows


def test_refused_ordinary_message_opens_no_case(fake_line: FakeLine) -> None:
    reset_caches()
    refuse_next_message(fake_line)
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U3", "hello"))
        fake_line.wait_for(lambda: events() and events()[0].status == FAILED, timeout=15)
    with session_scope() as session:
        assert session.execute(select(Case)).scalars().all() == []
