"""Officer screening through the whole system: the fake LINE platform sends signed webhooks
to the real gateway, which talks to real Rasa and the real action server; checked in what LINE
received and in the databases (screening records, cases)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from cases.models import Case
from content.catalogue import text as catalogue_text
from gateway.models import LineUser
from referral_directory.bundled import load_bundled
from saphan.db import make_engine, reset_caches, session_scope_for
from saphan.settings import Settings
from screening import enrollment
from screening.loader import ScreeningData, default_screening
from screening.models import Officer, ScreeningRow
from screening.practice import default_practice
from testsupport.channels import CHANNELS, SECRETS
from testsupport.databases import migrated_database, scoped
from testsupport.fake_line import FakeLine
from testsupport.line_turns import turn
from testsupport.stack import running_stack, stack_settings

pytestmark = pytest.mark.integration
issue_code = scoped(enrollment.issue_code)
CONTEXT_ADULT = {"under_18": "no", "sector": "fishing", "exploitation_form": "labour"}
TYPED = {"en": {"nationality": "Myanmar", "province": "Chonburi"},
         "th": {"nationality": "เมียนมา", "province": "ชลบุรี"}}


def bot(key: str, lang: str, **values: object) -> str:
    return catalogue_text("screening", key, lang, **values)


@dataclass
class Chat:
    settings: Settings
    line: FakeLine

    def turn(self, channel: str, user: str, event: dict, timeout: float = 60.0) -> list[dict]:
        def send() -> None:
            response = self.line.send_webhook(self.settings.gateway_url, channel,
                                              SECRETS[channel], [event])
            assert response.status_code == 200, response.text

        return turn(self.line, self.settings.database_url, user, send, timeout)

    def say(self, user: str, text: str, channel: str = "officer") -> list[dict]:
        return self.turn(channel, user, self.line.text_event(user, text))

    def tap(self, user: str, payload: str, channel: str = "officer") -> list[dict]:
        return self.turn(channel, user, self.line.postback_event(user, payload))

    def rows(self, model: type, **where: object) -> list:
        with make_engine(self.settings.database_url).connect() as conn:
            query = select(model)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return list(conn.execute(query).all())

    def conversation_id(self, user: str) -> str:
        (row,) = self.rows(LineUser, line_user_id=user)
        return row.conversation_id


@pytest.fixture(scope="module")
def chat(rasa_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    work = tmp_path_factory.mktemp("screening")
    old = os.environ.get("SAPHAN_DATABASE_URL")
    with FakeLine() as line, migrated_database("sqlite", work) as db_url:
        with session_scope_for(db_url) as session:
            load_bundled(session)
        os.environ["SAPHAN_DATABASE_URL"] = db_url  # issue_code() in this process
        reset_caches()
        settings = stack_settings(db_url, work, line_api_base_url=line.url,
                                  line_channels=json.dumps(CHANNELS), rasa_timeout_s=60.0,
                                  inbox_retry_base_s=0.5, inbox_retry_max_s=1.0)
        try:
            with running_stack(settings, rasa_model, with_gateway=True, log=work / "stack.log"):
                yield Chat(settings, line)
        finally:
            if old is None:
                os.environ.pop("SAPHAN_DATABASE_URL", None)
            else:
                os.environ["SAPHAN_DATABASE_URL"] = old
            reset_caches()


def question(data: ScreeningData, message: dict, lang: str) -> tuple[str, str]:
    """(kind, id) of the question in a bot message 'Question n: text' (after the practice
    marker line in practice)."""
    shown = message["text"].removeprefix(bot("practice_marker", lang) + "\n")
    body = shown.split(": ", 1)[1].split("\n")[0]
    for context in data.questionnaire.context:
        if context.officer.get(lang) == body:
            return "context", context.id
    for item in data.questionnaire.items:
        if item.officer.get(lang) == body:
            return "indicator", item.id
    raise AssertionError(f"not a question: {message['text']!r}")


def question_or_none(data: ScreeningData, message: dict, lang: str) -> tuple[str, str] | None:
    try:
        return question(data, message, lang)
    except (AssertionError, IndexError, KeyError):
        return None


def payloads(message: dict) -> list[str]:
    return [i["action"]["data"] for i in message.get("quickReply", {}).get("items", [])]


def enrol(chat: Chat, user: str, start: str, lang: str, mode: str = "list") -> list[dict]:
    """Ask to screen (typed or tapped), send a fresh code; returns the first question turn.
    Screenings start in card mode; `mode="list"` taps "one by one" first."""
    code, _ = issue_code("Police Chonburi", "investigator", timedelta(days=1))
    asked = chat.say(user, start) if not start.startswith("/") else chat.tap(user, start)
    assert asked[-1]["text"] == bot("ask_code", lang)
    first = chat.say(user, code)
    assert first[-1]["text"] == bot("question", lang, number=1,
                                    text=bot("profile_question", lang))
    assert {"profile:no:labour", "mode:list"} <= set(payloads(first[-1]))
    if mode == "card":
        return first
    switched = chat.tap(user, "mode:list")
    return [*first[:-1], *switched]


def answer_all(chat: Chat, user: str, messages: list[dict], lang: str, indicator: str,
               context: dict[str, str] = CONTEXT_ADULT) -> tuple[list[dict], int]:
    """Answer every question until the result; returns (result messages, indicators asked)."""
    data = default_screening()
    asked = 0
    for _ in range(80):
        last = messages[-1]
        if last["text"] == bot("ask_refer", lang):
            return messages, asked
        kind, qid = question(data, last, lang)
        if kind == "indicator":
            asked += 1
            assert {"yes", "no", "not_sure", "skip", "pause", "/cancel"} <= set(payloads(last))
            messages = chat.tap(user, indicator)
        elif qid in TYPED[lang]:
            messages = chat.say(user, TYPED[lang][qid])
        else:
            messages = chat.tap(user, context[qid])
    raise AssertionError("the screening did not end")


@pytest.mark.parametrize(("lang", "start"), [("en", "start screening"),
                                             ("th", "/start_screening")])
def test_enrolled_officer_screens_and_refers_in_thai_and_english(
    chat: Chat, lang: str, start: str
) -> None:
    user = f"Uofficer-{lang}"
    first = enrol(chat, user, start, lang)
    texts = [m.get("text", "") for m in first]
    assert texts[0] == bot("enrolled", lang, role="investigator", agency="Police Chonburi")
    assert question(default_screening(), first[-1], lang) == ("context", "under_18")

    messages, asked = answer_all(chat, user, first, lang, "yes")
    result = "\n".join(m.get("text", "") for m in messages)
    data = default_screening()
    assert data.rules.wording["likely_victim"].get(lang) in result
    assert data.rules.wording["disclaimer"].get(lang) in result
    assert bot("explain_next_for", lang, profile=bot("profile_under_18_no", lang),
               nationality=TYPED[lang]["nationality"],
               province=TYPED[lang]["province"]) in result and "1300" in result
    assert bot("services_near", lang, service=bot("service_shelter", lang),
               province=TYPED[lang]["province"]) in result
    assert any(m["type"] == "flex" for m in messages)  # directory cards
    assert 0 < asked < len(data.questionnaire.items_for("adult_labour"))  # adaptive stop

    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    (record,) = chat.rows(ScreeningRow, officer_id=officer.id)
    assert record.category == "likely_victim" and record.notes_encrypted is None
    assert json.loads(record.context)["province"] == TYPED[lang]["province"]

    referred = chat.tap(user, "/affirm")
    (case,) = chat.rows(Case, conversation_id=chat.conversation_id(user))
    assert referred[-1]["text"] == bot("referred", lang, case_id=case.id)
    assert case.source == "officer screening" and case.priority == "high"
    screening = json.loads(case.screening)
    assert screening["screening_id"] == record.id
    assert screening["answers"] == json.loads(record.answers)
    assert screening["htcds"]["vic_MethodsOfControl"]
    (stored,) = chat.rows(ScreeningRow, id=record.id)
    assert stored.case_id == case.id


FISHING_BOAT = {"dr_job_nature", "dr_wages", "ex_hours", "ex_pay", "cd_documents", "cd_debt"}
MEANS = {"coercion_destination", "vulnerability_destination"}


def card_rows(messages: list[dict]) -> dict[str, str]:
    """{item id: tick payload} of the open rows of the Flex card in a turn."""
    data = default_screening()
    by_label = {item.label.en: item.id for item in data.questionnaire.items}
    by_label.update({item.label.th: item.id for item in data.questionnaire.items})
    (card,) = [m for m in messages if m["type"] == "flex" and "header" in m["contents"]]
    rows = {}
    for row in card["contents"]["body"]["contents"]:
        number_label = row["contents"][1]["text"]
        label = number_label.split(". ", 1)[1]
        if "action" in row:
            rows[by_label[label]] = row["action"]["data"]
    return rows


def screen_with_cards(chat: Chat, user: str, messages: list[dict], lang: str, yes: set[str],
                      profile: str, context: dict[str, str],
                      seen: list[dict] | None = None) -> tuple[list[dict], list[str], int]:
    """Answer the profile and context, then tick the `yes` items card by card (or "none of
    the rest"); returns (result messages, dimensions shown as cards, interactions); every
    message received is appended to `seen`."""
    data = default_screening()
    labels = {d.label.get(lang): d.id for d in data.questionnaire.dimensions}
    shown: list[str] = []
    taps = 1
    messages = chat.tap(user, profile)
    for _ in range(60):
        if seen is not None:
            seen.extend(messages)
        last = messages[-1]
        if last["text"] == bot("ask_refer", lang) or last["text"].startswith(
                bot("practice_marker", lang) + "\n" + bot("practice_feedback_heading", lang,
                                                         title="")[:12]):
            return messages, shown, taps
        taps += 1
        if any(m["type"] == "flex" and "header" in m.get("contents", {}) for m in messages):
            dimension = labels[next(m for m in messages if m["type"] == "flex")
                               ["contents"]["header"]["contents"][0]["text"]]
            heading = last["text"].removeprefix(bot("practice_marker", lang) + "\n")
            assert heading.startswith(bot("card_heading", lang, number=99,
                                          dimension="").split("99")[0])
            assert {"rest:no", "rest:not_sure", "pause", "/cancel"} <= set(payloads(last))
            if not shown or shown[-1] != dimension:
                shown.append(dimension)
            rows = card_rows(messages)
            ticks = [payload for item_id, payload in rows.items() if item_id in yes]
            messages = chat.tap(user, ticks[0] if ticks else "rest:no")
            continue
        kind, qid = question(data, last, lang)
        assert kind == "context"
        messages = (chat.say(user, TYPED[lang][qid]) if qid in TYPED[lang]
                    else chat.tap(user, context[qid]))
    raise AssertionError("the screening did not end")


def test_card_mode_adult_likely_with_explanation_and_packet(chat: Chat) -> None:
    user, lang = "Uofficer-cards", "en"
    data = default_screening()
    first = enrol(chat, user, "start screening", lang, mode="card")
    messages, shown, taps = screen_with_cards(chat, user, first, lang, FISHING_BOAT,
                                              "profile:no:labour", {"sector": "fishing"})
    result = "\n".join(m.get("text", "") for m in messages)
    assert bot("explain_result", lang, result=bot("result_likely_victim", lang),
               count=taps) in result
    assert taps == 4 + len(FISHING_BOAT)  # profile, sector, nationality, province + 6 ticks
    for item_id in FISHING_BOAT:  # short labels with their strength, never the question
        item = data.questionnaire.item(item_id)
        assert f"{item.label.en} ({bot('strength_' + item.strength['adult_labour'], lang)})" \
            in result
        assert item.officer.en not in result
    assert shown == ["exploitation", "coercion_destination", "deceptive_recruitment"]
    assert bot("explain_why_heading", lang) in result and "met: " in result
    assert not re.search(r"\bvictim\b", result)
    (link,) = re.findall(r"https?://\S+/screening/packet/\S+", result)
    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    (record,) = chat.rows(ScreeningRow, officer_id=officer.id)
    assert record.category == "likely_victim"
    assert set(json.loads(record.answers)) >= FISHING_BOAT
    path = link.split("/screening/packet/", 1)[1]
    page = httpx.get(f"{chat.settings.gateway_url}/screening/packet/{path}", timeout=10)
    assert page.status_code == 200 and 'data-category="likely_victim"' in page.text
    packet = httpx.get(f"{chat.settings.gateway_url}/screening/packet/{path}/htcds.json",
                       timeout=10).json()
    assert packet["htcds"]["saphan_ScreeningId"] == record.id


def test_child_card_screening_asks_no_means_the_result_does_not_need(chat: Chat) -> None:
    user, lang = "Uofficer-child", "th"
    first = enrol(chat, user, "/start_screening", lang, mode="card")
    yes = {"ex_hours", "ex_pay"}
    messages, shown, _ = screen_with_cards(
        chat, user, first, lang, yes, "profile:yes:labour",
        {"sector": "agriculture", "moved_or_recruited": "yes"})
    result = "\n".join(m.get("text", "") for m in messages)
    assert shown == ["exploitation"]  # no card about coercion or vulnerability
    assert not MEANS & set(shown)
    assert default_screening().rules.wording["likely_victim"].get(lang) in result
    assert bot("explain_child_means", lang) in result
    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    (record,) = chat.rows(ScreeningRow, officer_id=officer.id)
    data = default_screening()
    assert record.category == "likely_victim"
    assert not MEANS & {data.questionnaire.item(i).dimension for i in json.loads(record.answers)}


def test_practice_run_answers_from_the_case_and_gives_feedback(chat: Chat) -> None:
    user, lang = "Uofficer-practice", "en"
    data = default_screening()
    case = default_practice().case("fishing_boat")
    first = enrol(chat, user, "start screening", lang, mode="card")
    assert "practice:menu" in payloads(first[-1])
    menu = chat.tap(user, "practice:menu")
    (cases,) = [m for m in menu if m["type"] == "flex"]
    starts = [b["action"]["data"] for b in cases["contents"]["body"]["contents"][1:]]
    assert starts == [f"practice:{c.id}" for c in default_practice().cases]
    intro = chat.tap(user, "practice:fishing_boat")
    assert intro[0]["text"].startswith(bot("practice_marker", lang))
    assert case.story.en in intro[0]["text"]
    assert intro[-1]["text"].startswith(bot("practice_marker", lang))  # every prompt says so
    truth = {i for i, a in case.truth.items() if a == "yes"}
    seen: list[dict] = []
    messages, _, taps = screen_with_cards(chat, user, intro, lang, truth, "profile:no:labour",
                                          {"sector": "fishing"}, seen)
    said = "\n".join(m["text"] for m in seen if m.get("text", "").startswith(
        bot("practice_says", lang, persona=case.persona.en)))
    assert "«The captain has my pink card.»" in said and "Not sure" in said
    result = messages[-1]["text"]
    assert bot("practice_feedback_heading", lang, title=case.title.en) in result
    assert bot("practice_result_right", lang, result=bot("result_likely_victim", lang),
               expected=bot("result_likely_victim", lang)) in result
    assert bot("practice_missed", lang, indicators=bot("practice_none", lang)) in result
    assert bot("practice_taps", lang, count=taps) in result
    assert "1300" in result  # the right next steps
    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    assert not chat.rows(ScreeningRow, officer_id=officer.id)  # practice is never saved
    assert not chat.rows(Case, conversation_id=chat.conversation_id(user))
    assert data.questionnaire.version


def test_no_indicators_in_thai_and_nothing_referred(chat: Chat) -> None:
    user, lang = "Uofficer-no", "th"
    first = enrol(chat, user, "/start_screening", lang)
    messages, asked = answer_all(chat, user, first, lang, "no")
    result = "\n".join(m.get("text", "") for m in messages)
    assert default_screening().rules.wording["no_indicators"].get(lang) in result
    assert asked > 0
    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    (record,) = chat.rows(ScreeningRow, officer_id=officer.id)
    assert record.category == "no_indicators"
    declined = chat.tap(user, "/deny")
    assert declined[-1]["text"] == bot("not_referred", lang, record=record.id[:8])
    assert not chat.rows(Case, conversation_id=chat.conversation_id(user))


def test_back_pause_resume_and_cancel(chat: Chat) -> None:
    user, lang = "Uofficer-flow", "en"
    data = default_screening()
    first = enrol(chat, user, "start screening", lang)
    assert "back" not in payloads(first[-1])
    second = chat.tap(user, "no")  # under_18
    assert question(data, second[-1], lang) == ("context", "sector")
    assert "back" in payloads(second[-1])
    again = chat.tap(user, "back")
    assert question(data, again[-1], lang) == ("context", "under_18")
    chat.tap(user, "no")
    chat.tap(user, "fishing")
    before_pause = chat.tap(user, "labour")
    asked = question(data, before_pause[-1], lang)

    person = chat.tap(user, "person:my")
    kind, qid = asked
    source = (data.questionnaire.item(qid) if kind == "indicator"
              else data.questionnaire.context_question(qid))
    text, used, review = source.person.for_person("my")
    label = used + (", " + bot("draft_translation", lang) if review else "")
    assert person[0]["text"] == f"{bot('for_person', lang, language=label)}\n{text}"
    assert question(data, person[-1], lang) == asked  # then the same question again

    paused = chat.tap(user, "pause")
    assert paused[-1]["text"] == bot("paused", lang)
    resumed = chat.tap(user, "/start_screening")
    assert resumed[0]["text"] == bot("resumed", lang)
    assert question(data, resumed[-1], lang) == asked

    cancelled = chat.tap(user, "/cancel")
    assert cancelled[-1]["text"] == bot("cancelled", lang)
    fresh = chat.tap(user, "/start_screening")
    assert fresh[0]["text"] == bot("started", lang, version=data.questionnaire.version)
    assert fresh[-1]["text"] == bot("question", lang, number=1,  # a new one: card mode
                                    text=bot("profile_question", lang))
    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    assert not chat.rows(ScreeningRow, officer_id=officer.id)  # nothing kept

    emergency = chat.tap(user, "/emergency")  # leaves the screening for the emergency flow
    assert not any(question_or_none(data, m, lang) for m in emergency)
    cases = chat.rows(Case, conversation_id=chat.conversation_id(user))
    assert [c.source for c in cases] == ["emergency"]


def test_unenrolled_officer_and_public_channel_are_refused(chat: Chat) -> None:
    user = "Uofficer-nocode"
    assert chat.say(user, "start screening")[-1]["text"] == bot("ask_code", "en")
    refused = chat.say(user, "ABCD-EFGH-JKMN")
    assert refused[-1]["text"] == bot("bad_code", "en")
    assert not chat.rows(Officer, line_user=chat.conversation_id(user))

    public = "Upublic"
    reply = chat.tap(public, "/start_screening", channel="public")
    assert reply[-1]["text"] == bot("public_channel", "th")
    code, _ = issue_code("Police", "investigator", timedelta(days=1))
    chat.say(public, code, channel="public")
    assert not chat.rows(Officer, line_user=chat.conversation_id(public))


def test_referral_procedure_lists_the_nrm_steps(chat: Chat) -> None:
    messages = chat.tap("Uprocedure", "/ask_referral_procedure", channel="public")
    assert messages[-1]["text"].startswith(bot("procedure_heading", "th"))
    assert "1300" in messages[-1]["text"]
