"""Webhook verification and the durable inbox, in process, on SQLite and PostgreSQL.

Rasa is unreachable here, so processed text events get the fallback message; the real Rasa
path is in test_gateway_integration.py."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from gateway_tcp_proxy import HOLD, TcpProxy
from sqlalchemy import func, select

from content.catalogue import text
from gateway.app import create_app
from gateway.models import InboxEvent, LineUser, OutboxMessage
from gateway.signature import sign
from saphan.db import reset_caches, session_scope
from testsupport.channels import SECRETS
from testsupport.fake_line import FakeLine
from testsupport.stack import free_port

pytestmark = pytest.mark.usefixtures("gateway_env")
SECRET = SECRETS["public"]


def count(model: type) -> int:
    with session_scope() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def post(client: TestClient, channel: str, body: bytes, signature: str | None) -> object:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post(f"/line/{channel}/webhook", content=body, headers=headers)


@pytest.fixture
def client() -> TestClient:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("channel", "signature", "body", "status"),
    [
        ("public", None, None, 401),
        ("public", "forged", None, 401),
        ("public", sign("wrong-secret", b"x"), None, 401),
        ("nochannel", "sig", None, 404),
        ("simulator-public", "sig", None, 404),
        ("public", "SIGN", b"{not json", 400),
        ("public", "SIGN", b'{"events": "nope"}', 400),
        ("public", "SIGN", b'{"events": [{"type": "message"}]}', 400),
    ],
)
def test_rejected_webhooks_store_nothing(client, fake_line: FakeLine, channel, signature, body,
                                         status):
    raw = body if body is not None else fake_line.webhook_body(
        [fake_line.text_event("Uattacker", "hello")])
    if signature == "SIGN":
        signature = sign(SECRET, raw)
    response = post(client, channel, raw, signature)
    assert response.status_code == status
    assert response.json()["error"]
    assert count(InboxEvent) == 0
    assert count(LineUser) == 0


def test_signature_over_exact_body(client, fake_line: FakeLine):
    raw = fake_line.webhook_body([fake_line.text_event("U1", "hello")])
    tampered = raw.replace(b"hello", b"hellO")
    assert post(client, "public", tampered, sign(SECRET, raw)).status_code == 401
    assert count(InboxEvent) == 0


def test_oversized_body_rejected(client, fake_line: FakeLine):
    raw = fake_line.webhook_body([fake_line.text_event("U1", "x" * 1_100_000)])
    response = post(client, "public", raw, sign(SECRET, raw))
    assert response.status_code == 413
    assert count(InboxEvent) == 0


def test_empty_verification_webhook_is_accepted(client):
    raw = b'{"destination": "U0", "events": []}'
    response = post(client, "public", raw, sign(SECRET, raw))
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "redeliveries": 0, "ignored": 0}


def test_events_without_a_user_are_ignored(client, fake_line: FakeLine):
    join = {"type": "join", "webhookEventId": "01JOIN", "timestamp": 1,
            "source": {"type": "group", "groupId": "Cgroup"}, "replyToken": "t"}
    raw = fake_line.webhook_body([join, fake_line.text_event("U1", "hi")])
    response = post(client, "public", raw, sign(SECRET, raw))
    assert response.json() == {"accepted": 1, "redeliveries": 0, "ignored": 1}
    assert count(InboxEvent) == 1


def test_one_invalid_event_rejects_the_whole_body(client, fake_line: FakeLine):
    good = fake_line.text_event("U1", "hello")
    raw = fake_line.webhook_body([good, {"type": "message", "source": {}}])
    assert post(client, "public", raw, sign(SECRET, raw)).status_code == 400
    assert count(InboxEvent) == 0


def test_accepted_event_is_committed_and_redelivery_deduplicated(client, fake_line: FakeLine):
    event = fake_line.text_event("U1", "hello")
    raw = fake_line.webhook_body([event])
    first = post(client, "public", raw, sign(SECRET, raw))
    assert first.status_code == 200
    assert first.json() == {"accepted": 1, "redeliveries": 0, "ignored": 0}
    again = fake_line.webhook_body([fake_line.redelivery(event)])
    second = post(client, "public", again, sign(SECRET, again))
    assert second.json() == {"accepted": 0, "redeliveries": 1, "ignored": 0}
    with session_scope() as session:
        rows = session.execute(select(InboxEvent)).scalars().all()
        assert [(r.webhook_event_id, r.redeliveries) for r in rows] == [
            (event["webhookEventId"], 1)]
        assert json.loads(rows[0].payload)["message"]["text"] == "hello"


def test_rasa_down_sends_fallback_once_and_keeps_event_queued(client, fake_line: FakeLine):
    event = fake_line.text_event("U1", "hello")
    raw = fake_line.webhook_body([event])
    assert post(client, "public", raw, sign(SECRET, raw)).status_code == 200
    replies = fake_line.wait_for(fake_line.replies, timeout=10)
    text = replies[0].body["messages"][0]["text"]
    assert "191" in text and "1300" in text
    # retries continue (attempts grow) but the fallback is not repeated
    def retried() -> bool:
        with session_scope() as session:
            row = session.execute(select(InboxEvent)).scalar_one()
            return row.attempts >= 3 and row.status == "pending" and row.fallback_sent
    fake_line.wait_for(retried, timeout=15)
    assert len(fake_line.replies()) == 1 and fake_line.pushes() == []
    assert count(OutboxMessage) == 1


def test_media_gets_please_type_with_talk_to_person(client, fake_line: FakeLine):
    event = fake_line.message_event("U2", {"type": "sticker", "packageId": "1", "stickerId": "1"})
    raw = fake_line.webhook_body([event])
    post(client, "public", raw, sign(SECRET, raw))
    replies = fake_line.wait_for(fake_line.replies, timeout=10)
    message = replies[0].body["messages"][0]
    assert message["type"] == "text"
    items = message["quickReply"]["items"]
    assert [i["action"]["data"] for i in items] == ["/request_human"]


def test_follow_welcomes_with_language_choice_and_unfollow_deactivates(client,
                                                                        fake_line: FakeLine):
    fake_line.set_profile("U3", language="en")
    raw = fake_line.webhook_body([fake_line.follow_event("U3")])
    post(client, "public", raw, sign(SECRET, raw))
    replies = fake_line.wait_for(fake_line.replies, timeout=10)
    welcome = replies[0].body["messages"][0]
    assert "Welcome" in welcome["text"] and "191" in welcome["text"]
    assert [(i["action"]["data"], i["action"]["label"]) for i in welcome["quickReply"]["items"]] \
        == [("lang=th", "ไทย"), ("lang=en", "English"), ("lang=my", "မြန်မာ"),
            ("lang=km", "ខ្មែរ"), ("lang=lo", "ລາວ")]  # each language named in its own script
    raw = fake_line.webhook_body([fake_line.postback_event("U3", "lang=th")])
    post(client, "public", raw, sign(SECRET, raw))
    fake_line.wait_for(lambda: len(fake_line.replies()) == 2, timeout=10)
    raw = fake_line.webhook_body([fake_line.unfollow_event("U3")])
    post(client, "public", raw, sign(SECRET, raw))

    def inactive() -> bool:
        with session_scope() as session:
            user = session.execute(select(LineUser)).scalar_one()
            return not user.active and user.language == "th"
    fake_line.wait_for(inactive, timeout=10)


@pytest.mark.parametrize("language", ["th", "en", "my", "km", "lo"])
def test_the_welcome_says_what_is_kept_and_how_to_delete_it(
        fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch, language: str) -> None:
    """PDPA notice (s. 23) in the welcome, in the phone's language, with the retention period
    from the settings (one place for the number)."""
    monkeypatch.setenv("SAPHAN_RETENTION_CLOSED_CASE_MONTHS", "7")
    reset_caches()
    fake_line.set_profile("U5", language=language)
    with TestClient(create_app()) as client:
        raw = fake_line.webhook_body([fake_line.follow_event("U5")])
        post(client, "public", raw, sign(SECRET, raw))
        [reply] = fake_line.wait_for(fake_line.replies, timeout=10)
    welcome = reply.body["messages"][0]["text"]
    notice = text("gateway", "privacy_notice", language, retention_months=7)
    assert welcome.endswith(notice)
    assert " 7 " in notice and "{" not in welcome
    assert text("gateway", "welcome", language, retention_months=7) == welcome


def test_slow_rasa_times_out_into_the_fallback(fake_line: FakeLine, monkeypatch):
    proxy = TcpProxy(free_port(), free_port()).start()  # accepts, never answers
    proxy.set_mode(HOLD)
    monkeypatch.setenv("SAPHAN_RASA_URL", proxy.url)
    monkeypatch.setenv("SAPHAN_RASA_TIMEOUT_S", "0.5")
    reset_caches()
    try:
        with TestClient(create_app()) as client:
            raw = fake_line.webhook_body([fake_line.text_event("U9", "สวัสดี")])
            assert post(client, "public", raw, sign(SECRET, raw)).status_code == 200
            [reply] = fake_line.wait_for(fake_line.replies, timeout=10)
        assert "1300" in reply.body["messages"][0]["text"]
        assert "ขออภัย" in reply.body["messages"][0]["text"]  # Thai, like the message
    finally:
        proxy.close()


def test_the_persons_rich_menu_follows_their_language(client, fake_line: FakeLine):
    from gateway.channels import load_channels
    from gateway.rich_menu import grid_png, setup_channel
    from saphan.settings import get_settings

    settings = get_settings().model_copy(update={"line_data_api_base_url": fake_line.url})
    setup_channel(settings, load_channels(settings)["public"], grid_png(), "image/png")
    names = {menu_id: m["name"] for menu_id, m in fake_line.state.rich_menus.items()}

    def menu_of(user: str) -> str | None:
        return names.get(fake_line.state.user_rich_menus.get(user, ""))

    fake_line.set_profile("U7", language="km")
    for event in (fake_line.follow_event("U7"),  # the phone's language
                  fake_line.postback_event("U7", "lang=lo"),  # a language button
                  fake_line.text_event("U7", "ကူညီပါ")):  # writes Burmese
        raw = fake_line.webhook_body([event])
        post(client, "public", raw, sign(SECRET, raw))
        wanted = {"follow": "saphan-public-km", "postback": "saphan-public-lo",
                  "message": "saphan-public-my"}[event["type"]]
        fake_line.wait_for(lambda wanted=wanted: menu_of("U7") == wanted, timeout=10)
    with session_scope() as session:
        assert session.execute(select(LineUser.language)).scalar_one() == "my"


@pytest.mark.parametrize(("said", "kept"), [
    ("Mae Sot", "my"), ("chiang mai", "my"), ("BANGKOK", "my"),  # a place says no language
    ("I need a shelter in Mae Sot", "en"),  # English words besides the town: English
])
def test_a_town_typed_in_latin_letters_keeps_the_persons_language(
        client, fake_line: FakeLine, said: str, kept: str) -> None:
    """A Burmese reader who types the town where they are ("Mae Sot") is still answered in
    Burmese (here: the fallback, Rasa being down); only English words make it English."""
    fake_line.set_profile("U8", language="my")
    for event in (fake_line.follow_event("U8"), fake_line.text_event("U8", said)):
        raw = fake_line.webhook_body([event])
        post(client, "public", raw, sign(SECRET, raw))
    replies = fake_line.wait_for(lambda: len(fake_line.replies()) >= 2 and fake_line.replies(),
                                 timeout=15)
    assert replies[1].body["messages"][0]["text"] == text("gateway", "fallback", kept)
    with session_scope() as session:
        assert session.execute(select(LineUser.language)).scalar_one() == kept
