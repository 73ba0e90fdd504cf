"""Case-creation flood guard (issue 16): one open case per person, repeated escalations update
it (priority only rises), and caseworker LINE notifications are capped per person and in all,
with an alert when the cap trips. Real gateway over HTTP, the real escalation actions calling
its internal API, signed LINE webhooks, the fake LINE server, both databases."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.emergency import ActionEmergency
from actions.human import ActionRequestHuman
from cases import notification_limits, service
from cases.accounts import add_caseworker
from cases.models import Case
from gateway import users
from gateway.signature import sign
from saphan.db import in_session, session_scope
from saphan.settings import get_settings
from testsupport.cases import Gateway, running_gateway
from testsupport.channels import SECRETS
from testsupport.fake_line import FakeLine
from testsupport.polling import wait_for

BURMESE = "ကျွန်တော့်ကို ကူညီပါ"  # "help me"
GLOBAL_MAX = 5
PASSWORD = "correct horse battery staple"


@pytest.fixture
def limited(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with running_gateway(monkeypatch, CASE_NOTIFY_GLOBAL_MAX=str(GLOBAL_MAX),
                         CASE_NOTIFY_PERSON_MAX="2") as gw:
        yield gw


def tracker(conversation_id: str, text: str, language: str) -> Tracker:
    parse = {"text": text, "intent": {"name": "request_human", "confidence": 0.9},
             "entities": [], "language": language}
    events = [{"event": "user", "text": text, "parse_data": parse,
               "metadata": {"channel": "public", "language": language}}]
    return Tracker(conversation_id, {}, parse, events, False, None, {}, "action_listen")


def run_action(gateway: Gateway, action: Any, conversation_id: str, text: str,
               language: str) -> list[dict]:
    """Run a real escalation action (as the action server would) against the gateway."""
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker(conversation_id, text, language), {}))
    return dispatcher.messages


def pushes_to(gateway: Gateway, user_id: str) -> list[str]:
    return [m["text"] for kind, m in gateway.line.messages_to(user_id) if kind == "push"]


def case_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(Case.id))) or 0


def send_webhook(gateway: Gateway, user: str, text: str) -> None:
    raw = FakeLine.webhook_body([gateway.line.text_event(user, text)])
    response = httpx.post(f"{gateway.url}/line/public/webhook", content=raw, timeout=10,
                          headers={"Content-Type": "application/json",
                                   "X-Line-Signature": sign(SECRETS["public"], raw)})
    assert response.status_code == 200, response.text


def test_fifty_other_language_messages_from_one_person_open_one_case(gateway: Gateway) -> None:
    key = get_settings().pseudonym_key.get_secret_value()
    person = in_session(users.get_or_create, "public", "Uburmese0001", key, "my")
    conversation = person.conversation_id
    # The worst case for the bot side: the caseworker gives the conversation back to the bot
    # after every escalation, so each message reaches the other-language flow again.
    first = None
    for _ in range(25):
        said = run_action(gateway, ActionRequestHuman(), conversation, BURMESE, "my")
        first = first or in_session(service.open_case_for, conversation)
        assert said, "the person is always answered"
        case_id = in_session(service.open_case_for, conversation).id
        gateway.run(gateway.runtime.end_handoff(case_id, None))
    # ... and the rest arrive on LINE during the live hand-off: they go into the case.
    run_action(gateway, ActionRequestHuman(), conversation, BURMESE, "my")
    for _ in range(24):
        send_webhook(gateway, "Uburmese0001", BURMESE)
    wait_for(lambda: len([m for m in in_session(service.transcript, case_id)
                          if m.sender == "user"]) == 24, timeout=30)

    assert case_count() == 1
    case = in_session(service.get_case, case_id)
    assert case.id == first.id and case.priority == first.priority
    assert case.status == "Active" and case.handoff_active
    assert case.summary == first.summary  # the same summary is not appended 26 times
    kinds = [e.kind for e in in_session(service.events, case_id)]
    assert kinds.count("created") == 1 and kinds.count("escalated") == 25
    wait_for(lambda: pushes_to(gateway, "Ucaseworker1"))
    assert len(pushes_to(gateway, "Ucaseworker1")) == 1  # one case, one notification


def test_priority_rises_on_a_later_emergency_and_never_falls(gateway: Gateway) -> None:
    run_action(gateway, ActionRequestHuman(), "conv-rise", BURMESE, "my")
    case = in_session(service.open_case_for, "conv-rise")
    assert case.priority in ("high", "normal")
    run_action(gateway, ActionEmergency(), "conv-rise", "they lock me in", "en")
    run_action(gateway, ActionRequestHuman(), "conv-rise", "I want a person", "en")

    assert case_count() == 1
    after = in_session(service.get_case, case.id)
    assert after.priority == "urgent"  # raised by the emergency, not lowered by the request
    assert case.summary in after.summary and "Emergency" in after.summary
    changes = [(e.from_value, e.to_value) for e in in_session(service.events, case.id)
               if e.kind == "priority"]
    assert changes == [(case.priority, "urgent")]
    assert [e.to_value for e in in_session(service.events, case.id)
            if e.kind == "escalated"] == ["emergency", "request"]


def test_fifty_people_notifications_capped_and_alert_raised(
        limited: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for n in range(50):
        response = limited.create_case(conversation_id=f"flood-{n:02d}", priority="high",
                                       summary=f"person {n} from Myawaddy")
        assert response.status_code == 201, response.text
    assert case_count() == 50  # every case is in the queue: nothing is lost
    runtime = limited.runtime
    wait_for(lambda: runtime.notifications_held == 50 - GLOBAL_MAX, timeout=30)

    new_case = [t for t in pushes_to(limited, "Ucaseworker1") if "New high case" in t]
    alerts = [t for t in pushes_to(limited, "Ucaseworker1") if "notifications are held" in t]
    assert len(new_case) == GLOBAL_MAX and len(alerts) == 1
    assert "/dashboard" in alerts[0]
    # the alert is the one wide message: the wide-only supervisor gets it too, and only it
    assert [t for t in pushes_to(limited, "Usupervisor")] == alerts
    assert in_session(notification_limits.held_now, 3600.0) == 50 - GLOBAL_MAX

    # the dashboard queue says so
    in_session(add_caseworker, "duty", PASSWORD, "caseworker", "Duty")
    client = limited.client()
    page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    client.post("/dashboard/login", data={"username": "duty", "password": PASSWORD,
                                          "csrf": csrf.group(1)})
    queue = client.get("/dashboard")
    assert queue.status_code == 200 and 'id="notifications-held"' in queue.text
    assert f"({50 - GLOBAL_MAX} " in queue.text

    held_lines = [r.getMessage() for r in caplog.records if "held" in r.getMessage()
                  and r.name == "saphan.cases"]
    assert len(held_lines) == 50 - GLOBAL_MAX and "global limit" in held_lines[0]
    for line in held_lines:
        assert "flood-" not in line and "Myawaddy" not in line  # no personal data


def test_one_person_is_capped_on_their_own(limited: Gateway) -> None:
    """A person whose cases are closed and opened again is notified at most PERSON_MAX times
    per window; the others are not held because of them."""
    for _ in range(4):
        case_id = limited.create_case(conversation_id="repeat-1", priority="high").json()["id"]
        in_session(service.close, case_id, "Closed", "spam", None)
    limited.create_case(conversation_id="someone-else", priority="high")
    wait_for(lambda: limited.runtime.notifications_held == 2, timeout=30)
    wait_for(lambda: len(pushes_to(limited, "Ucaseworker1")) == 3, timeout=10)
    assert not [t for t in pushes_to(limited, "Ucaseworker1") if "held" in t]  # no alert
    assert [e.to_value for e in in_session(service.events, case_id)
            if e.kind == "notified"] == ["level 1"]  # its case is in the queue all the same
    assert in_session(notification_limits.held_now, 3600.0) == 0  # the global limit is fine
