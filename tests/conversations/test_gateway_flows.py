"""The issue's "done when" through the whole system: the fake LINE platform sends signed
webhooks to the real gateway, which talks to real Rasa (model with the safety net) and the
real action server; results are checked in what LINE received and in the databases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from cases.models import Case
from content.catalogue import text as catalogue_text
from gateway.models import InboxEvent, LineUser
from referral_directory.bundled import load_bundled
from saphan.db import make_engine, session_scope_for
from saphan.language import detect_language
from saphan.settings import Settings
from testsupport.channels import PUBLIC as CHANNEL
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine
from testsupport.line_turns import turn
from testsupport.stack import running_stack, stack_settings

pytestmark = pytest.mark.integration


@dataclass
class Line:
    settings: Settings
    line: FakeLine

    def send(self, event: dict) -> None:
        response = self.line.send_webhook(self.settings.gateway_url, "public",
                                          CHANNEL["secret"], [event])
        assert response.status_code == 200, response.text

    def turn(self, event: dict, user: str, timeout: float = 60.0) -> list[dict]:
        """Send one event and return the messages the user receives for it."""
        return turn(self.line, self.settings.database_url, user, lambda: self.send(event),
                    timeout)

    def say(self, user: str, message: str) -> list[dict]:
        return self.turn(self.line.text_event(user, message), user)

    def tap(self, user: str, payload: str) -> list[dict]:
        return self.turn(self.line.postback_event(user, payload), user)

    def conversation_id(self, user: str) -> str:
        with make_engine(self.settings.database_url).connect() as conn:
            return conn.execute(select(LineUser.conversation_id)
                                .where(LineUser.line_user_id == user)).scalar_one()

    def language(self, user: str) -> str:
        """The language the gateway stores for the person."""
        with make_engine(self.settings.database_url).connect() as conn:
            return conn.execute(select(LineUser.language)
                                .where(LineUser.line_user_id == user)).scalar_one()

    def cases(self, user: str) -> list[Any]:
        with make_engine(self.settings.database_url).connect() as conn:
            return list(conn.execute(select(Case).where(
                Case.conversation_id == self.conversation_id(user))).all())


@pytest.fixture(scope="module")
def chat(conversation_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    work = tmp_path_factory.mktemp("conversations")
    with FakeLine() as line, migrated_database("sqlite", work) as db_url:
        with session_scope_for(db_url) as session:
            load_bundled(session)
        settings = stack_settings(db_url, work, line_api_base_url=line.url,
                                  line_channels=json.dumps([CHANNEL]), rasa_timeout_s=60.0,
                                  inbox_retry_base_s=0.5, inbox_retry_max_s=1.0)
        with running_stack(settings, conversation_model, with_gateway=True,
                           log=work / "stack.log"):
            yield Line(settings, line)


def carousel(messages: list[dict]) -> list[dict]:
    flex = [m for m in messages if m["type"] == "flex"]
    assert flex, messages
    return flex[0]["contents"]["contents"]


def bubble_texts(bubble: dict) -> list[str]:
    return [c["text"] for c in bubble["body"]["contents"]]


def uris(bubbles: list[dict]) -> list[str]:
    return [b["action"]["uri"] for bubble in bubbles
            for b in bubble.get("footer", {}).get("contents", [])]


@pytest.mark.parametrize(("user", "message", "language"), [
    ("Ushelter-en", "I need a shelter in Chiang Mai", "en"),
    ("Ushelter-th", "หาที่พักปลอดภัยที่เชียงใหม่", "th"),
])
def test_shelter_in_a_province_found_by_text(chat: Line, user: str, message: str,
                                             language: str) -> None:
    messages = chat.say(user, message)
    bubbles = carousel(messages)
    label = catalogue_text("bot", "sample_label", language)
    names = [bubble_texts(bubble)[0] for bubble in bubbles]
    # the sourced centre, the sample (it says so), then the hotlines 1300 and 191
    assert [label in name for name in names] == [False, True, False, False]
    first = bubble_texts(bubbles[0])
    assert any({"en": "Chiang Mai", "th": "เชียงใหม่"}[language] in t for t in first)
    assert any(u.startswith("https://www.google.com/maps") for u in uris(bubbles))
    assert uris(bubbles)[-2:] == ["tel:1300", "tel:191"]  # always a number to call
    person = messages[-1]["quickReply"]["items"]
    assert any(i["action"]["data"] == "/request_human" for i in person)


def test_nearest_services_from_a_shared_location(chat: Line) -> None:
    user = "Ulocation"
    mae_sot = {"type": "location", "title": "me", "address": "Mae Sot",
               "latitude": 16.713, "longitude": 98.575}
    asked = chat.turn(chat.line.message_event(user, mae_sot), user)
    assert asked[-1]["text"] == catalogue_text("bot", "ask_service_type", "th")
    messages = chat.tap(user, '/inform{"service_type":"shelter"}')
    bubbles = carousel(messages)
    distances = [float(m.group(1)) for b in bubbles for t in bubble_texts(b)
                 if (m := re.search(r"ห่าง(?:ประมาณ)? ([\d.]+) กม", t))]
    assert distances and distances[0] < 5  # what is in Mae Sot first, in Thai
    assert "แม่สอด" in bubble_texts(bubbles[0])[0]


#: A language code or raw opening hours on a card (the person's language has names for these).
CODE = re.compile(r"(?<![\w.])(th|en|my|km|lo|vi|zh|ms|shn|kar)(?![\w.])|mon-fri")


def test_shared_location_in_mae_sot_answers_in_myanmar(chat: Line) -> None:
    user = "Ulocation-my"
    chosen = chat.tap(user, "lang=my")
    assert chosen[-1]["text"] == catalogue_text("gateway", "language_set", "my")
    mae_sot = {"type": "location", "title": "me", "address": "Mae Sot",
               "latitude": 16.713, "longitude": 98.575}
    asked = chat.turn(chat.line.message_event(user, mae_sot), user)
    assert asked[-1]["text"] == catalogue_text("bot", "ask_service_type", "my")
    messages = chat.tap(user, '/inform{"service_type":"shelter"}')
    bubbles = carousel(messages)
    first = bubble_texts(bubbles[0])
    assert "แม่สอด" in first[1]  # the Thai name under the English one, to show someone
    assert catalogue_text("bot", "distance_about", "my", km="0.0") in first
    assert all(not CODE.search(t) for b in bubbles for t in bubble_texts(b))
    assert uris(bubbles)[-2:] == ["tel:1300", "tel:191"]


def test_emergency_in_the_middle_of_finding_a_service(chat: Line) -> None:
    user = "Uemergency"
    asked = chat.say(user, "I need a shelter")
    assert asked[-1]["text"] == catalogue_text("bot", "ask_place", "en")
    messages = chat.say(user, "help, they are beating me")
    calls = uris(carousel(messages))
    assert "tel:191" in calls and "tel:1300" in calls
    assert messages[-1]["text"] == catalogue_text("bot", "ask_safe_now", "en")
    cases = chat.cases(user)
    assert [(c.priority, c.source) for c in cases] == [("urgent", "emergency")]


def test_emergency_case_carries_the_shared_location(chat: Line) -> None:
    user = "Uemergency-location"
    chat.turn(chat.line.message_event(user, {"type": "location", "title": "here",
                                             "address": "Samut Sakhon pier",
                                             "latitude": 13.547, "longitude": 100.274}), user)
    messages = chat.say(user, "ช่วยด้วย นายจ้างขังไว้")
    assert messages[0]["text"] == catalogue_text("bot", "emergency", "th")
    [case] = chat.cases(user)
    assert (case.priority, case.latitude, case.longitude) == ("urgent", 13.547, 100.274)


def test_a_report_becomes_a_case_with_the_answers(chat: Line) -> None:
    user = "Ureport"
    first = chat.say(user, "my boss took my passport and does not pay me")
    # the two facts stated are not asked again (issue 19): the first question is the third
    assert first[-1]["text"] == catalogue_text("bot", "q_free_to_leave", "en")
    for payload in ("/affirm", "/dont_know", "/deny", "/deny"):
        last = chat.tap(user, payload)
    assert last[-1]["text"] == catalogue_text("bot", "report_offer", "en")
    done = chat.tap(user, "/affirm")
    assert done[-1]["text"] == catalogue_text("bot", "report_case_created", "en")
    [case] = chat.cases(user)
    assert (case.source, case.priority, case.language) == ("self-report", "high", "en")
    assert json.loads(case.screening)["report"] == {
        "documents_taken": "yes", "wages_withheld": "yes", "free_to_leave": "yes",
        "debt": "unknown", "threats": "no", "under_18": "no"}


def test_stated_facts_open_the_report_filled_and_confirmed(chat: Line) -> None:
    """Issue 19 pt 5: "they took my passport and didn't pay me" is not asked again."""
    user = "Ureport-facts"
    first = chat.say(user, "they took my passport and didn't pay me")
    texts = [m.get("text") for m in first]
    facts = "; ".join(catalogue_text("bot", key, "en")
                      for key in ("fact_documents_taken", "fact_wages_withheld"))
    assert catalogue_text("bot", "report_facts_known", "en", facts=facts) in texts
    assert catalogue_text("bot", "q_documents_taken", "en") not in texts
    assert catalogue_text("bot", "q_wages_withheld", "en") not in texts
    assert texts[-1] == catalogue_text("bot", "q_free_to_leave", "en")
    for payload in ("/affirm", "/deny", "/deny", "/deny"):
        last = [m.get("text") for m in chat.tap(user, payload)]
        assert catalogue_text("bot", "q_documents_taken", "en") not in last
        assert catalogue_text("bot", "q_wages_withheld", "en") not in last
    chat.tap(user, "/affirm")  # a caseworker, please
    [case] = chat.cases(user)
    report = json.loads(case.screening)["report"]
    assert (report["documents_taken"], report["wages_withheld"]) == ("yes", "yes")


def test_emergency_in_thai_typed_in_latin_letters(chat: Line) -> None:
    """Issue 19: karaoke Thai ("chuay duay" = help!) gets the emergency reply."""
    user = "Ukaraoke"
    messages = chat.say(user, "chuay duay na, nai jang kang rao wai nai rong ngan")
    assert messages[0]["text"] == catalogue_text("bot", "emergency", chat.language(user))
    calls = uris(carousel(messages))
    assert "tel:191" in calls and "tel:1300" in calls
    assert [c.priority for c in chat.cases(user)] == ["urgent"]


def test_delete_my_data_really_deletes(chat: Line) -> None:
    user = "Udelete"
    chat.say(user, "I need a shelter in Chiang Mai")
    conversation = chat.conversation_id(user)
    tracker_db = make_engine(chat.settings.tracker_store_url)
    count_sql = text("SELECT count(*) FROM events WHERE sender_id = :s")
    with tracker_db.connect() as conn:
        assert conn.execute(count_sql, {"s": conversation}).scalar_one() > 0
    asked = chat.say(user, "please delete my data")
    assert asked[-1]["text"] == catalogue_text("bot", "delete_confirm", "en")
    done = chat.tap(user, "/affirm")
    assert done[-1]["text"] == catalogue_text("bot", "delete_done", "en")

    def tracker_empty() -> bool:
        with tracker_db.connect() as conn:
            return conn.execute(count_sql, {"s": conversation}).scalar_one() == 0

    chat.line.wait_for(tracker_empty, timeout=60)

    def app_rows_gone() -> bool:  # the confirming event goes once it is answered (issue 16)
        with make_engine(chat.settings.database_url).connect() as conn:
            return not any(conn.execute(select(model.id).where(model.line_user_id == user)).all()
                           for model in (InboxEvent, LineUser))

    chat.line.wait_for(app_rows_gone, timeout=30)


def test_myanmar_message_is_answered_in_myanmar_and_the_language_is_kept(chat: Line) -> None:
    user = "Umyanmar"  # issue 18: understood and answered, no interpreter case for a message
    messages = chat.say(user, "ကျွန်တော့်အလုပ်ရှင်က လစာမပေးဘူး")
    assert messages and all(detect_language(m.get("text") or m.get("altText")) == "my"
                            for m in messages)
    assert chat.language(user) == "my"
    please_type = chat.turn(chat.line.message_event(user, {"type": "sticker", "packageId": "1",
                                                           "stickerId": "1"}), user)
    assert please_type[0]["text"] == catalogue_text("gateway", "please_type", "my")


def test_a_report_showing_danger_goes_to_the_emergency_flow(chat: Line) -> None:
    user = "Udanger"
    chat.say(user, "my boss took my passport and does not pay me")  # two facts stated
    messages = chat.tap(user, "/deny")  # not free to leave
    calls = uris(carousel(messages))
    assert "tel:191" in calls and "tel:1300" in calls
    assert messages[-1]["text"] == catalogue_text("bot", "ask_safe_now", "en")
    [case] = chat.cases(user)
    assert (case.priority, case.source) == ("urgent", "emergency")
    answers = json.loads(case.screening)["report"]
    assert answers["free_to_leave"] == "no" and answers["threats"] == "not_asked"


def test_choosing_khmer_answers_in_khmer_and_keeps_it(chat: Line) -> None:
    user = "Ukhmer"
    menu = chat.say(user, "hello")
    shown = [i["action"]["data"] for i in menu[-1]["quickReply"]["items"]]  # LINE shows these
    khmer = '/change_language{"language":"km"}'
    assert khmer in shown and "/find_service" in shown and "/emergency" in shown
    messages = chat.tap(user, khmer)
    assert messages[0]["text"] == catalogue_text("bot", "language_set", "km")
    assert chat.language(user) == "km" and chat.cases(user) == []  # no interpreter case
    assert chat.tap(user, "/find_service")[-1]["text"] == \
        catalogue_text("bot", "ask_service_type", "km")
