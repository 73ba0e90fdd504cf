"""During a live handoff the user is never left in silence: every forwarded message is
acknowledged until a caseworker chats, and an emergency always gets the emergency numbers
(real gateway over HTTP, signed webhooks, fake LINE, recording fake Rasa)."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from cases import service
from gateway import users
from gateway.models import DONE, InboxEvent
from gateway.signature import sign
from saphan.db import in_session, session_scope
from saphan.settings import get_settings
from testsupport.cases import Gateway
from testsupport.channels import SECRETS
from testsupport.fake_line import FakeLine
from testsupport.polling import wait_for

USER = "Uhandoff0001"


def send(gateway: Gateway, message: str) -> str:
    event = gateway.line.text_event(USER, message)
    raw = FakeLine.webhook_body([event])
    response = httpx.post(f"{gateway.url}/line/public/webhook", content=raw, timeout=10,
                          headers={"Content-Type": "application/json",
                                   "X-Line-Signature": sign(SECRETS["public"], raw)})
    assert response.status_code == 200, response.text
    return str(event["webhookEventId"])


def done(event_id: str) -> bool:
    with session_scope() as session:
        status = session.execute(select(InboxEvent.status).where(
            InboxEvent.webhook_event_id == event_id)).scalar_one_or_none()
    return status == DONE


def texts_to_user(gateway: Gateway) -> list[str]:
    return [m.get("text", "") for _, m in gateway.line.messages_to(USER)]


def test_forwarded_messages_are_acknowledged_and_emergencies_always(gateway: Gateway) -> None:
    secret = get_settings().session_key.get_secret_value()
    user = in_session(users.get_or_create, "public", USER, secret)
    case_id = gateway.create_case(conversation_id=user.conversation_id).json()["id"]

    send(gateway, "hello, is anyone there?")
    told = wait_for(lambda: texts_to_user(gateway))
    assert "passed to a caseworker" in told[-1] and "191" in told[-1]

    send(gateway, "they are beating me")  # an emergency keyword
    told = wait_for(lambda: texts_to_user(gateway)[1:])
    assert "in danger now" in told[-1] and "191" in told[-1] and "1300" in told[-1]

    gateway.run(gateway.runtime.reply(case_id, None, "I am here, tell me more"))
    wait_for(lambda: len(texts_to_user(gateway)) == 3)

    quiet = send(gateway, "thank you, I work in a factory")  # a caseworker is chatting now
    wait_for(lambda: done(quiet))
    assert len(texts_to_user(gateway)) == 3
    send(gateway, "help me, I am in danger")  # ... but an emergency is still answered
    told = wait_for(lambda: texts_to_user(gateway)[3:])
    assert "in danger now" in told[-1]

    transcript = [(m.sender, m.body) for m in in_session(service.transcript, case_id)]
    assert [body for sender, body in transcript if sender == "user"] == [
        "hello, is anyone there?", "they are beating me", "thank you, I work in a factory",
        "help me, I am in danger"]
    assert gateway.rasa.messages == []  # nothing went to the bot during the handoff
