"""Actions and their helpers on real databases (SQLite, and PostgreSQL when configured),
without Rasa: directory search → service cards, erasure, language choice, fallbacks."""

from __future__ import annotations

import asyncio
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, text

from actions.basics import ActionFallback, fallbacks_in_a_row
from actions.conversation import user_language
from actions.emergency import detection_note
from actions.find_service import ActionSearchServices
from actions.report import ActionReportAcknowledge, ValidateReportForm
from cases import service as cases
from cases.models import Case, CaseMessage
from content.catalogue import text as catalogue_text
from gateway import inbox, outbox, users
from gateway.app import CONVERSATION_ERASERS
from gateway.erasure import erase_app_data
from gateway.inbox import REDACTED_PAYLOAD
from gateway.models import InboxEvent, OutboxMessage
from gateway.rasa_bridge import erase_tracker_events as erase_tracker
from referral_directory.bundled import load_bundled
from saphan.db import get_engine, make_engine, session_scope
from testsupport.fake_line import FakeLine


def tracker(events: list[dict[str, Any]] | None = None, slots: dict[str, Any] | None = None,
            latest: dict[str, Any] | None = None, sender: str = "conv-1") -> Tracker:
    latest = latest or {"text": "hi", "intent": {"name": "greet"}, "entities": []}
    events = events or [{"event": "user", "text": latest["text"], "parse_data": latest}]
    return Tracker(sender, slots or {}, latest, events, False, None, {}, "action_listen")


def user(text_: str, intent: str = "greet", language: str | None = None,
         metadata: dict | None = None) -> dict[str, Any]:
    parse = {"text": text_, "intent": {"name": intent}, "entities": [], "language": language}
    return {"event": "user", "text": text_, "parse_data": parse, "metadata": metadata or {}}


# --- language and fallbacks --------------------------------------------------------------------

def test_language_follows_typed_script_and_buttons_keep_it() -> None:
    events = [user("hello", language="en"), user("/affirm", "affirm", language="en")]
    assert user_language(tracker(events, latest=events[-1]["parse_data"])) == "en"
    events.append({"event": "slot", "name": "language", "value": "km"})
    events.append(user("/deny", "deny", language="en"))
    assert user_language(tracker(events, latest=events[-1]["parse_data"])) == "km"
    events.append(user("สวัสดี", language="th"))
    assert user_language(tracker(events, latest=events[-1]["parse_data"])) == "th"


def test_language_from_the_gateway_when_only_buttons_were_used() -> None:
    events = [user("/find_service", "find_service", language="en",
                   metadata={"language": "en"})]
    assert user_language(tracker(events, latest=events[0]["parse_data"])) == "en"
    events = [user("/find_service", "find_service", language="en")]
    assert user_language(tracker(events, latest=events[0]["parse_data"])) == "th"


def test_the_language_the_gateway_stores_wins_over_an_older_choice_in_rasa() -> None:
    events = [user("/change_language", "change_language", metadata={"language": "km"}),
              {"event": "slot", "name": "language", "value": "km"},
              # later the person tapped the gateway's "lang=lo" button: Rasa never saw it
              user("/find_service", "find_service", metadata={"language": "lo"})]
    assert user_language(tracker(events, latest=events[-1]["parse_data"])) == "lo"
    events.append(user("ok", "affirm", metadata={"language": "lo"}))  # no letters to go by
    assert user_language(tracker(events, latest=events[-1]["parse_data"])) == "lo"


def run_set_language(entities: list[dict[str, Any]], metadata: dict[str, Any]
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from actions.basics import ActionSetLanguage
    latest = {"text": "x", "intent": {"name": "change_language"}, "entities": entities}
    events = [{"event": "user", "text": "x", "parse_data": latest, "metadata": metadata}]
    dispatcher = CollectingDispatcher()
    result = ActionSetLanguage().run(dispatcher, tracker(events, latest=latest), {})
    return dispatcher.messages, result


def test_choosing_a_language_answers_in_it_and_tells_the_gateway_to_keep_it() -> None:
    messages, events = run_set_language([{"entity": "language", "value": "lo"}],
                                        {"language": "th"})  # "ภาษาลาว", typed in Thai
    assert messages[0]["text"] == catalogue_text("bot", "language_set", "lo")
    assert messages[1]["text"] == catalogue_text("bot", "menu_prompt", "lo")
    assert messages[-1]["custom"] == {"set_language": "lo"}
    assert events == [{"event": "slot", "timestamp": None, "name": "language", "value": "lo"}]


def test_change_language_without_a_language_offers_the_five_in_their_own_scripts() -> None:
    messages, events = run_set_language([], {"language": "my"})
    [offer] = messages
    assert offer["text"] == catalogue_text("bot", "choose_language", "my")
    assert [b["title"] for b in offer["buttons"]] == ["ไทย", "English", "မြန်မာ", "ខ្មែរ",
                                                      "ລາວ"]
    assert events == []


def test_second_fallback_in_a_row_offers_a_person() -> None:
    once = [user("hello", language="en"), user("qwzx", "nlu_fallback", language="en")]
    twice = [*once, {"event": "action", "name": "action_fallback"},
             user("zzzz", "nlu_fallback", language="en")]
    assert fallbacks_in_a_row(tracker(once)) == 1
    assert fallbacks_in_a_row(tracker(twice)) == 2
    for events, key in ((once, "fallback"), (twice, "fallback_person")):
        dispatcher = CollectingDispatcher()
        ActionFallback().run(dispatcher, tracker(events, latest=events[-1]["parse_data"]), {})
        assert dispatcher.messages[0]["text"] == catalogue_text("bot", key, "en")
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert "/request_human" in payloads


# --- report: danger ends the questions --------------------------------------------------------

REPORT_DOMAIN = {"forms": {"report_form": {"required_slots": [
    "documents_taken", "wages_withheld", "free_to_leave", "debt", "threats", "under_18"]}},
    "slots": {}}


def test_a_danger_answer_ends_the_report_questions() -> None:
    slots = {"requested_slot": "free_to_leave", "documents_taken": "yes",
             "wages_withheld": "no", "free_to_leave": "no"}
    latest = {"text": "/deny", "intent": {"name": "deny"}, "entities": []}
    events = asyncio.run(ValidateReportForm().run(
        CollectingDispatcher(), tracker(slots=slots, latest=latest), REPORT_DOMAIN))
    set_ = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set_["requested_slot"] is None
    assert set_["debt"] == set_["threats"] == set_["under_18"] == "not_asked"


def test_a_safe_answer_continues_the_report() -> None:
    slots = {"requested_slot": "free_to_leave", "documents_taken": "yes",
             "wages_withheld": "no", "free_to_leave": "yes"}
    latest = {"text": "/affirm", "intent": {"name": "affirm"}, "entities": []}
    events = asyncio.run(ValidateReportForm().run(
        CollectingDispatcher(), tracker(slots=slots, latest=latest), REPORT_DOMAIN))
    assert not any(e.get("name") == "requested_slot" and e.get("value") is None
                   for e in events)
    assert not any(e.get("value") == "not_asked" for e in events)


def test_facts_in_the_opening_message_are_confirmed_and_not_asked_again() -> None:
    said = "they took my passport and didn't pay me"
    latest = {"text": said, "intent": {"name": "report_exploitation"}, "entities": [],
              "language": "en"}
    dispatcher = CollectingDispatcher()
    events = ActionReportAcknowledge().run(
        dispatcher, tracker([user(said, "report_exploitation", "en")], latest=latest), {})
    set_ = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set_ == {"documents_taken": "yes", "wages_withheld": "yes", "free_to_leave": None,
                    "debt": None, "threats": None, "under_18": None}
    confirmation = dispatcher.messages[-1]["text"]
    assert catalogue_text("bot", "fact_documents_taken", "en") in confirmation
    assert catalogue_text("bot", "fact_wages_withheld", "en") in confirmation
    # the form (Rasa asks the first required slot still empty) goes on with free_to_leave
    required = asyncio.run(ValidateReportForm().required_slots(
        REPORT_DOMAIN["forms"]["report_form"]["required_slots"], CollectingDispatcher(),
        tracker(slots=set_, latest=latest), REPORT_DOMAIN))
    assert next(slot for slot in required if set_[slot] is None) == "free_to_leave"


def test_a_button_opening_the_report_states_no_fact() -> None:
    latest = {"text": "/report_exploitation", "intent": {"name": "report_exploitation"},
              "entities": []}
    dispatcher = CollectingDispatcher()
    events = ActionReportAcknowledge().run(dispatcher, tracker(latest=latest), {})
    assert all(e["value"] is None for e in events) and len(dispatcher.messages) == 1


# --- directory search → cards ------------------------------------------------------------------

def search(slots: dict[str, Any], language: str) -> list[dict[str, Any]]:
    with session_scope() as session:
        load_bundled(session)
    events = [user("x", "inform", language=language)]
    dispatcher = CollectingDispatcher()
    result = ActionSearchServices().run(dispatcher, tracker(events, slots,
                                                            events[0]["parse_data"]), {})
    assert {e["name"] for e in result} == {"service_type", "province", "location"}
    return dispatcher.messages


def test_shelter_in_a_province_becomes_sample_marked_cards(app_env: str) -> None:
    messages = search({"service_type": "shelter", "province": "Tak"}, "th")
    found, hotlines = messages[1]["custom"]["services"][:-2], messages[1]["custom"]["services"][-2:]
    assert found and all(c["address"].endswith("ตาก") for c in found)  # Tak, in Thai
    label = catalogue_text("bot", "sample_label", "th")  # sourced Mae Sot centre, then sample
    assert [c["name"].startswith(label) for c in found] == [False, True]
    shelter = catalogue_text("bot", "type_shelter", "th")
    assert all(c["organisation"].startswith(shelter) for c in found)
    assert [c["phone"] for c in hotlines] == ["1300", "191"]  # always a number to call
    heading = catalogue_text("bot", "results_local", "th", count=len(found))
    assert messages[0]["text"] == f"{heading}\n{catalogue_text('bot', 'call_to_confirm', 'th')}"


def test_nothing_local_widens_to_neighbouring_provinces(app_env: str) -> None:
    messages = search({"service_type": "shelter", "province": "Lamphun"}, "en")
    cards = messages[1]["custom"]["services"]
    assert cards and any("Chiang Mai" in c.get("address", "") for c in cards)
    assert messages[0]["text"].startswith("Nothing found in Lamphun")
    assert [c.get("phone") for c in cards[-2:]] == ["1300", "191"]  # and national hotlines


def test_location_gives_nearest_first_with_distance(app_env: str) -> None:
    messages = search({"service_type": "shelter",
                       "location": {"latitude": 13.75, "longitude": 100.5}}, "en")
    cards = [c for c in messages[1]["custom"]["services"] if "distance" in c]
    km = [float(re.search(r"([\d.]+) km", c["distance"]).group(1)) for c in cards]
    assert km[0] < 10 and [k // 5 for k in km] == sorted(k // 5 for k in km)  # 5-km bands
    assert all("phone" not in c or c["phone"] for c in cards)


# --- erasure -----------------------------------------------------------------------------------

def _seed(line_user: str, message: str) -> tuple[str, int]:
    fake = FakeLine.__new__(FakeLine)  # only its event builders (no server)
    fake.state = type("S", (), {"reply_tokens": {}})()
    with session_scope() as session:
        account = users.get_or_create(session, "public", line_user, "secret")
        inbox.store_events(session, "public", [fake.text_event(line_user, message),
                                               fake.text_event(line_user, message + " again")])
    with get_engine().connect() as conn:
        first = conn.execute(select(func.min(InboxEvent.id))
                             .where(InboxEvent.line_user_id == line_user)).scalar_one()
    with session_scope() as session:
        outbox.record(session, first, "public", line_user, "answer",
                      [[{"type": "text", "text": "answer"}]])
        inbox.mark_done(session, first)
    with session_scope() as session:
        created = cases.create_case(session, cases.NewCase(
            conversation_id=account.conversation_id, priority="normal", source="request",
            latitude=16.7, longitude=98.5, address="Mae Sot, near the market",
            transcript=[{"sender": "user", "text": message}]))
    assert created
    return account.conversation_id, created.case.id


def test_erase_removes_one_users_messages_and_keeps_others(app_env: str) -> None:
    mine, my_case = _seed("Umine", "my name is Aung, I live in Mae Sot")
    other, _ = _seed("Uother", "other person's message")
    report = SimpleNamespace(**erase_app_data(CONVERSATION_ERASERS, mine))
    assert (report.inbox_deleted, report.inbox_redacted, report.outbox_deleted) == (1, 1, 1)
    assert (report.users_deleted, report.cases_anonymised) == (1, 1)
    with get_engine().connect() as conn:
        payloads = conn.execute(select(InboxEvent.payload)
                                .where(InboxEvent.line_user_id == "Umine")).scalars().all()
        assert payloads == [REDACTED_PAYLOAD]
        assert conn.execute(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.line_user_id == "Umine")).scalar_one() == 0
        case = conn.execute(select(Case).where(Case.id == my_case)).one()
        assert case.conversation_id != mine  # the case is kept, anonymised (issue 16)
        assert (case.latitude, case.longitude, case.address) == (None, None, None)
        assert conn.execute(select(func.count()).select_from(CaseMessage)
                            .where(CaseMessage.case_id == case.id)).scalar_one() == 0
        others = conn.execute(select(InboxEvent.payload)
                              .where(InboxEvent.line_user_id == "Uother")).scalars().all()
        assert len(others) == 2 and all("other person" in p for p in others)
        other_case = conn.execute(select(Case).where(Case.conversation_id == other)).one()
        assert other_case.address == "Mae Sot, near the market"


def test_erase_tracker_deletes_only_that_senders_events(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255),"
                          " data TEXT)"))
        for i, sender in enumerate(["a", "a", "b"]):
            conn.execute(text("INSERT INTO events VALUES (:i, :s, :d)"),
                         {"i": i, "s": sender, "d": json.dumps({"text": "x"})})
    assert erase_tracker(database_url, "a") == 2
    with engine.connect() as conn:
        left = conn.execute(text("SELECT sender_id FROM events")).scalars().all()
    assert left == ["b"]
    engine.dispose()


@pytest.mark.parametrize("payload", ['{"redacted": true}'])
def test_redacted_payload_is_valid_json(payload: str) -> None:
    assert json.loads(REDACTED_PAYLOAD) == json.loads(payload)


@pytest.mark.parametrize(("safety_net", "note"), [
    ({"keyword": "locked in"}, "(safety-net keyword)"),
    ({"emergency_confidence": 0.2345}, "classifier confidence 0.23, another intent ranked first"),
    (None, None),
])
def test_urgent_case_summary_says_how_the_emergency_was_recognised(
    safety_net: dict | None, note: str | None
) -> None:
    message = {"text": "…", "intent": {"name": "emergency"}, "safety_net": safety_net}
    summary = "Emergency from the chat" + detection_note(message)
    if note:
        assert note in summary
    else:
        assert summary == "Emergency from the chat"
