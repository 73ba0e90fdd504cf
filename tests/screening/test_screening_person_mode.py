"""Person-facing mode: the officer hands the phone to the person, who answers one question per
card in their language; the result equals the full list's, the person's screens show nothing of
the officer's view, unreviewed drafts are reported to the officer, and the recorded clips slot
is validated. Ends with a Burmese screening through the real gateway, Rasa and action server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from test_screening_cards import screenings
from test_screening_gateway import Chat, bot, chat, enrol, payloads, question  # noqa: F401

from actions import screening_person
from actions.screening_actions import STATE, ValidateScreeningForm, send_prompt
from actions.screening_cards import person_card_message
from actions.screening_person import handover_note
from content.catalogue import text as catalogue_text
from saphan.language import language_name, script_counts
from screening import person_mode
from screening.adaptive import AdaptivePlanner
from screening.audio_clips import AudioClips, Clip, load_clips
from screening.errors import ScreeningDataError
from screening.loader import ScreeningData, load_screening
from screening.models import Officer, ScreeningRow
from screening.person_mode import PersonModeError
from screening.scoring import score
from screening.session import ScreeningSession, SessionError

DATA = load_screening()
PLANNER = AdaptivePlanner(DATA)
TYPED = {"sector": "fishing", "nationality": "Myanmar", "province": "Chonburi"}
FISHING_BOAT = {"dr_job_nature", "dr_wages", "ex_hours", "ex_pay", "cd_documents", "cd_debt"}
OFFICER = {"audience": "officer", "channel": "officer", "language": "en"}


def situation(session: ScreeningSession, under_18: str = "no", form: str = "labour",
              moved: str = "yes") -> None:
    """Answer the situation questions as the officer (card mode: the profile in one tap)."""
    answers = {"under_18": under_18, "exploitation_form": form, "moved_or_recruited": moved,
               **TYPED}
    while session.current_question() is None and (prompt := session.prompt()) is not None:
        if prompt.kind == "profile":
            session.answer(f"profile:{under_18}:{form}")
        else:
            session.answer(answers[prompt.id])


def started(mode: str = "card") -> ScreeningSession:
    session = ScreeningSession.start(DATA, PLANNER, officer_lang="en", mode=mode)  # type: ignore[arg-type]
    situation(session)
    return session


def run_person(session: ScreeningSession, sheet: dict[str, str]) -> list[str]:
    """The person answers every card from `sheet` (module items "no"); returns the ids."""
    asked = []
    while (card := person_mode.card(session)) is not None:
        asked.append(card.question_id)
        person_mode.answer(session, sheet.get(card.question_id, "no"), card.question_id)
    return asked


# ---- the state machine ---------------------------------------------------------------------


def test_hand_over_only_after_the_situation_and_never_in_practice() -> None:
    session = ScreeningSession.start(DATA, PLANNER, officer_lang="en", mode="card")
    assert not person_mode.can_hand_over(session)
    with pytest.raises(PersonModeError):
        person_mode.hand_over(session, "my")
    situation(session)
    assert person_mode.can_hand_over(session)
    with pytest.raises(PersonModeError, match="one of"):
        person_mode.hand_over(session, "fr")
    practice = ScreeningSession.start(DATA, PLANNER, officer_lang="en", mode="card",
                                      practice="fishing_boat")
    situation(practice)
    assert not person_mode.can_hand_over(practice)


@pytest.mark.parametrize("mode", ["card", "list"])
def test_burmese_person_answers_one_card_at_a_time_and_gives_the_phone_back(mode: str) -> None:
    session = started(mode)
    person_mode.hand_over(session, "my")
    first = person_mode.card(session)
    assert first is not None and first.first and first.lang == "my" and first.needs_review
    item = DATA.questionnaire.item(first.question_id)
    assert first.text == item.person.my.text  # type: ignore[union-attr]
    sheet = dict.fromkeys((i.id for i in DATA.questionnaire.items_for("adult_labour")), "no")
    sheet.update(dict.fromkeys(FISHING_BOAT, "yes"))
    asked = run_person(session, {**sheet, first.question_id: sheet[first.question_id]})
    assert asked[0] == first.question_id and len(asked) == len(set(asked))
    # recorded exactly as an officer's answers: one indicator step each, the person's answer
    assert {i: session.state.answers[i] for i in asked} == {i: sheet[i] for i in asked}
    assert session.state.history[-len(asked):] == [("indicator", i) for i in asked]
    assert session.is_done and person_mode.holding(session)  # the person still has the phone
    assert session.state.person_mode.phase == "give_back"  # type: ignore[union-attr]
    person_mode.take_back(session)
    assert not person_mode.holding(session)
    assert session.result().category == score(DATA, session.state.context, sheet).category
    assert session.result().category == "likely_victim"
    assert person_mode.answered(session) == len(asked)
    assert person_mode.drafts_used(session) >= len(asked)  # every my question is a draft
    note = handover_note(session)
    assert note == catalogue_text("screening", "handover_drafts", "en",
                                  count=person_mode.drafts_used(session),
                                  language=language_name("my", "en"))


def test_a_tap_on_an_older_card_answers_nothing() -> None:
    session = started()
    person_mode.hand_over(session, "km")
    first = person_mode.card(session)
    assert first is not None
    person_mode.answer(session, "no", first.question_id)
    before = dict(session.state.answers)
    with pytest.raises(PersonModeError, match="no longer"):
        person_mode.answer(session, "yes", first.question_id)
    with pytest.raises(PersonModeError):
        person_mode.answer(session, "maybe")
    assert session.state.answers == before
    with pytest.raises(PersonModeError, match="give it back first"):
        person_mode.take_back(session)


def test_early_give_back_returns_the_officer_view_and_a_second_hand_over_continues() -> None:
    session = started()
    person_mode.hand_over(session, "th")
    card = person_mode.card(session)
    assert card is not None and card.lang == "th" and not card.needs_review
    person_mode.answer(session, "yes", card.question_id)
    person_mode.give_back(session)
    assert person_mode.card(session) is None  # only "give the phone back" now
    person_mode.take_back(session)
    assert session.prompt() is not None and not session.is_done  # the officer goes on
    person_mode.hand_over(session, "lo")
    again = person_mode.card(session)
    assert again is not None and again.first and again.lang == "lo"
    assert person_mode.answered(session) == 1


def test_the_record_notes_person_mode_only_when_the_person_answered() -> None:
    session = started()
    assert person_mode.record_marks(session.state.person_mode)["answered_by"] == "officer"
    person_mode.hand_over(session, "km")
    person_mode.give_back(session)  # handed back before answering anything
    person_mode.take_back(session)
    assert person_mode.record_marks(session.state.person_mode) == {
        "answered_by": "officer", "person_language": None, "drafts_shown": False}
    person_mode.hand_over(session, "en")
    card = person_mode.card(session)
    assert card is not None
    person_mode.answer(session, "no", card.question_id)
    drafts = bool(session.state.person_mode.drafts)  # type: ignore[union-attr]
    assert person_mode.record_marks(session.state.person_mode) == {
        "answered_by": "person", "person_language": "en", "drafts_shown": drafts}
    person_mode.give_back(session)
    person_mode.take_back(session)
    person_mode.hand_over(session, "km")  # Khmer question texts are machine drafts
    card = person_mode.card(session)
    assert card is not None and card.needs_review
    person_mode.answer(session, "no", card.question_id)
    assert person_mode.record_marks(session.state.person_mode) == {
        "answered_by": "person", "person_language": "km", "drafts_shown": True}


def test_pause_and_resume_keep_person_mode_answers() -> None:
    session = started()
    person_mode.hand_over(session, "my")
    for answer in ("no", "not_sure", "skip"):
        card = person_mode.card(session)
        assert card is not None
        person_mode.answer(session, answer, card.question_id)
    resumed = ScreeningSession.resume(DATA, PLANNER, session.pause())
    assert resumed.state.answers == session.state.answers
    assert person_mode.holding(resumed) and person_mode.answered(resumed) == 3


def test_answer_one_refuses_a_situation_question() -> None:
    session = ScreeningSession.start(DATA, PLANNER, officer_lang="en", mode="card")
    with pytest.raises(SessionError):
        session.answer_one("yes")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(screenings(), st.sampled_from(("card", "list")), st.sampled_from(("my", "km", "lo", "th")))
def test_person_mode_result_equals_full_list_result(case, mode: str, lang: str) -> None:
    context, sheet = case
    session = ScreeningSession.start(DATA, PLANNER, officer_lang="th", mode=mode)  # type: ignore[arg-type]
    situation(session, context["under_18"], context["exploitation_form"],
              context.get("moved_or_recruited", "yes"))
    person_mode.hand_over(session, lang)
    asked = run_person(session, sheet)
    person_mode.take_back(session)
    full = score(DATA, session.state.context, sheet)
    assert session.result().category == full.category
    assert all(session.state.answers[i] == sheet[i] for i in asked if not i.startswith("fc_"))
    assert set(session.state.answers) <= set(sheet)


# ---- recorded audio clips ------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audio.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_clip_slot_is_empty() -> None:
    assert load_clips().clips == ()


def test_clips_load_and_bad_clips_name_file_and_clip(tmp_path: Path) -> None:
    good = load_clips(write(tmp_path, "clips:\n  - {question: dr_wages, lang: my, url: "
                            "'https://example.org/my/dr_wages.m4a', duration_ms: 4200}\n"), DATA)
    assert good.clip("dr_wages", "my") == Clip(question="dr_wages", lang="my",
                                               url="https://example.org/my/dr_wages.m4a",
                                               duration_ms=4200)
    assert good.clip("dr_wages", "km") is None
    bad = {
        "clips:\n  - {question: no_such, lang: my, url: 'https://x.org/a.m4a', duration_ms: 9}\n":
            "clips[0] (question 'no_such')",
        "clips:\n  - {question: dr_wages, lang: my, url: 'http://x.org/a.m4a', duration_ms: 9}\n":
            "clips[0]",
        "clips:\n  - {question: dr_wages, lang: fr, url: 'https://x.org/a.m4a', duration_ms: 9}\n":
            "lang",
        "clips:\n  - {question: dr_wages, lang: my, url: 'https://x.org/a.m4a', duration_ms: 9}\n"
        "  - {question: dr_wages, lang: my, url: 'https://x.org/b.m4a', duration_ms: 9}\n":
            "clips[1] (question 'dr_wages'): a second clip",
    }
    for text, where in bad.items():
        with pytest.raises(ScreeningDataError) as error:
            load_clips(write(tmp_path, text), DATA)
        assert str(tmp_path / "audio.yml") in str(error.value) and where in str(error.value)


# ---- the LINE adapter ----------------------------------------------------------------------


def officer_view_words(data: ScreeningData) -> list[str]:
    """Texts only the officer may see: indicator and dimension names, strengths, results."""
    words = [i.label.get(lang) for i in data.questionnaire.items for lang in ("en", "th")]
    words += [d.label.get(lang) for d in data.questionnaire.dimensions for lang in ("en", "th")]
    words += [catalogue_text("screening", f"strength_{s}", lang)
              for s in ("strong", "medium", "weak") for lang in ("en", "th")]
    words += [w.get(lang) for w in data.rules.wording.values() for lang in ("en", "th")]
    return words


def shown_texts(messages: list[dict[str, Any]]) -> str:
    """Every text in bot messages, Flex bubbles included."""
    return json.dumps(messages, ensure_ascii=False)


def test_person_screen_has_big_buttons_a_clip_and_no_officer_view(
        monkeypatch: pytest.MonkeyPatch) -> None:
    session = started()
    person_mode.hand_over(session, "my")
    card = person_mode.card(session)
    assert card is not None
    clip = Clip(question=card.question_id, lang="my", url="https://example.org/c.m4a",
                duration_ms=3000)
    monkeypatch.setattr(screening_person, "default_clips", lambda: AudioClips(clips=(clip,)))
    dispatcher = CollectingDispatcher()
    send_prompt(dispatcher, session)
    intro, audio, bubble = (m.get("custom") or m for m in dispatcher.messages)
    assert intro["text"] == catalogue_text("bot", "screening_person_intro", "my")
    assert audio == {"type": "audio", "originalContentUrl": clip.url, "duration": 3000}
    assert bubble == person_card_message(card, "my", "pm:")
    buttons = bubble["contents"]["footer"]["contents"]
    assert [b["action"]["data"] for b in buttons] == [
        *(f"pm:{a}:{card.question_id}" for a in ("yes", "no", "not_sure", "skip")), "pm:give_back"]
    assert [b["action"]["label"] for b in buttons[:4]] == [
        catalogue_text("bot", f"screening_person_{a}", "my")
        for a in ("yes", "no", "not_sure", "skip")]
    assert all(b["height"] == "md" for b in buttons[:4])
    shown = shown_texts(dispatcher.messages)
    for word in officer_view_words(DATA):
        assert word not in shown
    monkeypatch.setattr(screening_person, "default_clips", lambda: AudioClips())
    quiet = CollectingDispatcher()
    send_prompt(quiet, session)
    assert [m.get("custom", {}).get("type") for m in quiet.messages] == [None, "flex"]


def tracker(text: str, state: str) -> Tracker:
    parse = {"text": text, "intent": {"name": "cancel", "confidence": 0.99}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": parse, "metadata": OFFICER}]
    return Tracker("conv-person", {STATE: state}, parse, events, False, None, {},
                   "action_listen")


def reply(text: str, state: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    validated = ValidateScreeningForm().validate_screening_reply(
        text, dispatcher, tracker(text, state), {})
    return validated, dispatcher.messages


def test_form_replies_while_the_person_holds_the_phone() -> None:
    session = started()
    state = session.state.model_dump_json()
    validated, said = reply("handover", state)
    (menu,) = [m["custom"] for m in said]
    assert [b["action"]["data"] for b in menu["contents"]["footer"]["contents"]] == [
        f"handover:{code}" for code in ("th", "en", "my", "km", "lo")]
    validated, said = reply("handover:my", validated[STATE])
    assert not said and validated["screening_reply"] is None
    state = validated[STATE]
    # typed words (even "cancel" read as the cancel intent) only get a hint in Burmese
    for typed in ("cancel", "back", "pause", "pm:yes:not_a_question", "pm:officer"):
        validated, said = reply(typed, state)
        assert [m["text"] for m in said] == [catalogue_text("bot", "screening_person_hint",
                                                            "my")]
        assert validated[STATE] == state
    validated, said = reply("pm:give_back", state)
    assert not said and validated["screening_reply"] is None
    validated, said = reply("pm:officer", validated[STATE])
    assert validated["screening_reply"] is None  # questions remain: the officer goes on
    assert [m["text"] for m in said] == [catalogue_text(
        "screening", "handover_returned", "en", count=0, language=language_name("my", "en"))]
    assert not person_mode.holding(ScreeningSession(
        DATA, PLANNER, type(session.state).model_validate_json(validated[STATE])))


# ---- through the gateway -------------------------------------------------------------------


@pytest.mark.integration
def test_burmese_person_mode_through_the_gateway(chat: Chat) -> None:  # noqa: F811
    user, lang = "Uofficer-person-my", "en"
    enrol(chat, user, "start screening", lang, mode="card")
    messages = chat.tap(user, "profile:no:labour")
    for _ in range(3):  # sector, nationality, province
        kind, qid = question(DATA, messages[-1], lang)
        assert kind == "context" and "handover" not in payloads(messages[-1])
        messages = (chat.tap(user, TYPED[qid]) if qid == "sector"
                    else chat.say(user, TYPED[qid]))
    assert "handover" in payloads(messages[-1])  # the first card: the phone may go over
    menu = chat.tap(user, "handover")
    assert any(m["type"] == "flex" and "handover:my" in shown_texts([m]) for m in menu)
    seen: list[dict[str, Any]] = []
    messages = chat.tap(user, "handover:my")
    assert messages[0]["text"] == catalogue_text("bot", "screening_person_intro", "my")
    sheet = dict.fromkeys((i.id for i in DATA.questionnaire.items_for("adult_labour")), "no")
    sheet.update(dict.fromkeys(FISHING_BOAT, "yes"))
    asked = 0
    for _ in range(60):
        seen.extend(messages)
        (bubble,) = [m for m in messages if m["type"] == "flex"]
        datas = [b["action"]["data"] for b in bubble["contents"]["footer"]["contents"]]
        if datas == ["pm:officer"]:
            break
        question_id = datas[0].split(":")[2]
        body = bubble["contents"]["body"]["contents"][0]["text"]
        assert body == DATA.questionnaire.item(question_id).person.my.text  # type: ignore[union-attr]
        asked += 1
        messages = chat.tap(user, f"pm:{sheet[question_id]}:{question_id}")
    else:
        raise AssertionError("person mode did not end")
    assert bubble["contents"]["body"]["contents"][0]["text"] == catalogue_text(
        "bot", "screening_person_done", "my")
    shown = shown_texts(seen)
    for word in officer_view_words(DATA):  # nothing of the officer's view on the person's screen
        assert word not in shown
    texts = [m.get("text") or m.get("altText") or "" for m in seen]
    assert all(script_counts(t)["my"] > 0 for t in texts if t)  # everything in Burmese
    assert not re.search(r"\bvictim\b", shown)

    result = chat.tap(user, "pm:officer")
    said = "\n".join(m.get("text", "") for m in result)
    assert catalogue_text("screening", "handover_returned", lang, count=asked,
                          language="Myanmar") in said
    assert DATA.rules.wording["likely_victim"].get(lang) in said
    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    (record,) = chat.rows(ScreeningRow, officer_id=officer.id)
    assert record.category == "likely_victim"
    drafts = re.search(r"and (\d+) of the texts", said)
    assert drafts and catalogue_text("screening", "handover_drafts", lang,
                                     count=int(drafts.group(1)), language="Myanmar") in said
    # the record and the referral packet say that the person answered, in Burmese, via drafts
    assert (record.answered_by, record.person_language, record.drafts_shown) == \
        ("person", "my", True)
    (link,) = re.findall(r"https?://\S+/screening/packet/\S+", said)
    path = link.split("/screening/packet/", 1)[1]
    page = httpx.get(f"{chat.settings.gateway_url}/screening/packet/{path}", timeout=10).text
    for summary_lang in ("th", "en"):
        answered = catalogue_text("screening", "packet_answered_person", summary_lang,
                                  language=language_name("my", summary_lang))
        drafts_note = catalogue_text("screening", "packet_answered_drafts", summary_lang)
        assert str(escape(f"{answered}; {drafts_note}")) in page
    packet = httpx.get(f"{chat.settings.gateway_url}/screening/packet/{path}/htcds.json",
                       timeout=10).json()
    assert {k: packet["screening"][k] for k in ("answered_by", "person_language",
                                                 "drafts_shown")} == \
        {"answered_by": "person", "person_language": "my", "drafts_shown": True}
    assert result[-1]["text"] == bot("ask_refer", lang)
