"""LINE send policy, end to end: signed webhooks into the real app, a stand-in Rasa on
loopback (slow or silent per message) and the fake LINE platform (SQLite and PostgreSQL).

- the monthly limit (429 "You have reached your monthly limit.") holds pushes, keeps them and
  sends them when the quota has room; replies still go;
- an emergency waiting behind a slow turn is answered at once, the order kept for the rest;
- LINE's loading animation while Rasa takes longer than a second;
- a caseworker's message uses the person's unused, fresh reply token instead of a push;
- several replicas on one database: a starting gateway never takes an event another one is
  working on (leases, renewed), and takes over a crashed one's when its lease ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import SECRET
from slow_rasa import SlowRasa
from sqlalchemy import select

from gateway import inbox
from gateway.app import create_app
from gateway.models import DONE, InboxEvent, LineUser, OutboxMessage
from gateway.signature import sign
from saphan.db import in_session, reset_caches, session_scope
from saphan.line_messages import text_message
from saphan.settings import get_settings
from testsupport.fake_line import FakeLine

pytestmark = pytest.mark.usefixtures("gateway_env")
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
EMERGENCY = "help they are beating me"


@pytest.fixture
def rasa(gateway_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowRasa]:
    with SlowRasa() as server:
        monkeypatch.setenv("SAPHAN_RASA_URL", server.url)
        monkeypatch.setenv("SAPHAN_ACTION_SERVER_URL", server.url)
        reset_caches()
        yield server


def post(client: TestClient, fake_line: FakeLine, event: dict) -> None:
    body = fake_line.webhook_body([event])
    response = client.post("/line/public/webhook", content=body,
                           headers={"X-Line-Signature": sign(SECRET["public"], body)})
    assert response.status_code == 200


def outbox_rows() -> list[OutboxMessage]:
    with session_scope() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def events_done() -> bool:
    with session_scope() as session:
        statuses = session.execute(select(InboxEvent.status)).scalars().all()
    return bool(statuses) and all(s == DONE for s in statuses)


def texts(fake_line: FakeLine, user: str) -> list[tuple[str, str]]:
    return [(how, m.get("text", "")) for how, m in fake_line.messages_to(user)]


def metrics_text(client: TestClient) -> str:
    token = get_settings().internal_api_token.get_secret_value()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.text


def test_monthly_limit_holds_pushes_keeps_them_and_replies_still_go(
        fake_line: FakeLine, rasa: SlowRasa) -> None:
    fake_line.set_quota(10, used_before=10, enforce=True)  # the month's messages are used up
    with TestClient(create_app()) as client:
        late = fake_line.text_event("U1", "hello")
        fake_line.expire_reply_token(late["replyToken"])  # its answer needs a push
        post(client, fake_line, late)
        [held] = fake_line.wait_for(lambda: [r for r in outbox_rows() if r.method == "held"])
        fake_line.wait_for(events_done)  # the person's queue is not blocked
        [refused] = fake_line.calls(PUSH, status=429)
        assert refused.headers["x-line-retry-key"] == held.retry_key

        health = client.get("/healthz").json()["checks"]["line_pushes"]
        assert health["status"] == "held" and "public" in health["error"]
        scraped = metrics_text(client)
        assert 'saphan_line_pushes_held{channel="public"} 1' in scraped
        assert 'saphan_outbox_unsent_batches{state="held"} 1' in scraped

        post(client, fake_line, fake_line.text_event("U1", "again"))  # replies are free
        fake_line.wait_for(lambda: ("reply", "answer to again") in texts(fake_line, "U1"))
        time.sleep(1.5)  # a rate-limit retry would have come by now
        assert [c.status for c in fake_line.calls(PUSH, status=None)] == [429]

        fake_line.set_quota(1000, used_before=10, enforce=True)  # e.g. the plan was raised
        client.portal.call(client.app.state.line_quota.check)  # type: ignore[attr-defined]
        [pushed] = fake_line.wait_for(fake_line.pushes)
        assert pushed.headers["x-line-retry-key"] == held.retry_key
        fake_line.wait_for(lambda: [r for r in outbox_rows() if r.id == held.id
                                    and r.method == "push" and r.sent_at is not None])
        assert client.get("/healthz").json()["checks"]["line_pushes"] == {"status": "up"}
        assert 'saphan_line_pushes_held{channel="public"} 0' in metrics_text(client)
    assert texts(fake_line, "U1") == [("reply", "answer to again"), ("push", "answer to hello")]


def test_emergency_behind_a_slow_turn_is_answered_at_once_order_kept(
        fake_line: FakeLine, rasa: SlowRasa) -> None:
    rasa.delays["hello"] = 4.0
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U2", "hello"))
        fake_line.wait_for(lambda: "hello" in rasa.messages())  # Rasa is working on it
        sent = time.monotonic()
        post(client, fake_line, fake_line.text_event("U2", EMERGENCY))
        first = fake_line.wait_for(lambda: texts(fake_line, "U2"), timeout=10)
        waited = time.monotonic() - sent
        print(f"emergency answered {waited:.2f}s after it was sent, behind a 4 s turn")
        assert waited < 2.0
        [(how, said)] = first
        assert how == "reply" and "191" in said and "1300" in said
        fake_line.wait_for(events_done, timeout=20)
    assert rasa.messages() == ["hello", EMERGENCY]  # Rasa still sees both, in order
    assert [said for _, said in texts(fake_line, "U2")][1:] == [
        "answer to hello", f"answer to {EMERGENCY}"]
    assert [r.kind for r in outbox_rows()] == ["emergency", "answer", "answer"]


def test_ordinary_message_behind_a_slow_turn_waits_its_turn(
        fake_line: FakeLine, rasa: SlowRasa) -> None:
    rasa.delays["hello"] = 2.0
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U3", "hello"))
        fake_line.wait_for(lambda: "hello" in rasa.messages())
        post(client, fake_line, fake_line.text_event("U3", "where is a shelter"))
        fake_line.wait_for(events_done, timeout=20)
    assert [said for _, said in texts(fake_line, "U3")] == [
        "answer to hello", "answer to where is a shelter"]


def test_loading_animation_while_rasa_is_slow_only(fake_line: FakeLine, rasa: SlowRasa) -> None:
    rasa.delays["slow question"] = 2.0
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U4", "quick question"))
        fake_line.wait_for(lambda: texts(fake_line, "U4"))
        assert fake_line.loading_shown("U4") == []  # answered within a second: no animation
        post(client, fake_line, fake_line.text_event("U4", "slow question"))
        fake_line.wait_for(lambda: len(texts(fake_line, "U4")) == 2)
    [loading] = fake_line.loading_shown("U4")
    assert loading.body == {"chatId": "U4", "loadingSeconds": 20}
    calls = [c.path for c in fake_line.calls(status=None)]
    assert calls.index("/v2/bot/chat/loading/start") < len(calls) - 1  # before the answer


def test_caseworker_message_uses_the_fresh_unused_reply_token(
        fake_line: FakeLine, rasa: SlowRasa) -> None:
    rasa.silent.add("I need to talk")  # e.g. a hand-off in progress: the bot stays quiet
    with TestClient(create_app()) as client:
        event = fake_line.text_event("U5", "I need to talk")
        post(client, fake_line, event)
        fake_line.wait_for(events_done)
        assert fake_line.messages_to("U5") == []
        with session_scope() as session:
            conversation = session.execute(select(LineUser.conversation_id)).scalar_one()
        runtime = client.app.state.case_runtime  # type: ignore[attr-defined]
        for said in ("first answer", "second answer"):
            client.portal.call(runtime.deliver, conversation, [text_message(said)])
    assert texts(fake_line, "U5") == [("reply", "first answer"), ("push", "second answer")]
    [reply] = fake_line.replies()
    assert reply.body["replyToken"] == event["replyToken"]
    assert [r.method for r in outbox_rows()] == ["reply", "push"]


def test_in_a_live_chat_the_caseworkers_answer_goes_by_reply(
        fake_line: FakeLine, rasa: SlowRasa) -> None:
    """The real hand-off: once a caseworker chats the bot stays quiet, so the person's next
    message leaves its reply token for the caseworker's answer (free instead of a push)."""
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U9", "hello"))
        fake_line.wait_for(events_done)
        with session_scope() as session:
            conversation = session.execute(select(LineUser.conversation_id)).scalar_one()
        token = get_settings().internal_api_token.get_secret_value()
        case = client.post("/internal/cases", headers={"Authorization": f"Bearer {token}"},
                           json={"conversation_id": conversation, "priority": "high",
                                 "source": "request", "language": "en",
                                 "summary": "asked for a person"})
        assert case.status_code in (200, 201), case.text
        runtime = client.app.state.case_runtime  # type: ignore[attr-defined]
        client.portal.call(runtime.reply, case.json()["id"], None, "I am here")
        post(client, fake_line, fake_line.text_event("U9", "are you still there"))
        fake_line.wait_for(events_done)
        client.portal.call(runtime.reply, case.json()["id"], None, "yes, tell me more")
    assert texts(fake_line, "U9") == [("reply", "answer to hello"), ("push", "I am here"),
                                      ("reply", "yes, tell me more")]
    assert rasa.messages() == ["hello"]  # the hand-off kept the rest from the bot


def test_caseworker_message_pushes_when_the_token_is_stale(
        fake_line: FakeLine, rasa: SlowRasa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_LINE_REPLY_TOKEN_TTL_S", "0.5")
    reset_caches()
    rasa.silent.add("hi")
    with TestClient(create_app()) as client:
        post(client, fake_line, fake_line.text_event("U6", "hi"))
        fake_line.wait_for(events_done)
        time.sleep(0.6)
        with session_scope() as session:
            conversation = session.execute(select(LineUser.conversation_id)).scalar_one()
        client.portal.call(client.app.state.case_runtime.deliver,  # type: ignore[attr-defined]
                           conversation, [text_message("later")])
    assert texts(fake_line, "U6") == [("push", "later")] and fake_line.replies() == []


def test_a_second_replica_never_takes_an_event_another_is_working_on(
        fake_line: FakeLine, rasa: SlowRasa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_INBOX_LEASE_S", "1.5")  # Rasa's turn outlasts it: renewed
    reset_caches()
    rasa.delays["hello"] = 5.0
    with TestClient(create_app()) as first:
        post(first, fake_line, fake_line.text_event("U7", "hello"))
        fake_line.wait_for(lambda: "hello" in rasa.messages())
        with TestClient(create_app()):  # a second gateway starts while the first works
            fake_line.wait_for(events_done, timeout=20)
    assert rasa.messages() == ["hello"]  # asked once: the second replica never took it
    assert texts(fake_line, "U7") == [("reply", "answer to hello")]


def test_a_crashed_replicas_event_is_taken_over_when_its_lease_ends(
        fake_line: FakeLine, rasa: SlowRasa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_INBOX_LEASE_S", "1.5")  # looked for every 0.5 s
    reset_caches()
    event = fake_line.text_event("U8", "hello")
    in_session(inbox.store_events, "public", [event])
    claimed = in_session(inbox.claim_next, "public", "U8", 2.0)  # a replica that then died
    assert claimed is not None
    started = time.monotonic()
    with TestClient(create_app()):
        time.sleep(0.3)
        assert rasa.messages() == []  # its lease still runs: not taken at start
        fake_line.wait_for(events_done, timeout=20)
    print(f"taken over {time.monotonic() - started:.1f}s after the start (lease 2 s)")
    assert texts(fake_line, "U8") == [("reply", "answer to hello")]
