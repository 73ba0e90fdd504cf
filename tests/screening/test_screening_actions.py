"""Screening actions without Rasa, on real databases: the form's reply handling, refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.screening_actions import (
    STATE,
    ActionScreeningFinish,
    ActionScreeningStart,
    ValidateScreeningForm,
    current_session,
)
from content.catalogue import text as catalogue_text
from screening import enrollment
from screening.session import SessionState
from testsupport.databases import scoped

OFFICER = {"audience": "officer", "channel": "officer", "language": "en"}
PUBLIC = {"audience": "public", "channel": "public", "language": "en"}


def tracker(text: str, slots: dict[str, Any] | None = None, intent: str = "inform",
            confidence: float = 0.99, metadata: dict | None = None) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
             "entities": [], "language": "en"}
    events = [{"event": "user", "text": text, "parse_data": parse,
               "metadata": OFFICER if metadata is None else metadata}]
    return Tracker("conv-officer", slots or {}, parse, events, False, None, {}, "action_listen")


def reply(text: str, state: str, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    validated = ValidateScreeningForm().validate_screening_reply(
        text, dispatcher, tracker(text, {STATE: state}, **kwargs), {})
    return validated, [m.get("text") or "" for m in dispatcher.messages]


def finished_state() -> str:
    from screening.adaptive import AdaptivePlanner
    from screening.loader import default_screening
    from screening.session import ScreeningSession

    data = default_screening()
    session = ScreeningSession.start(data, AdaptivePlanner(data), "en")
    while (prompt := session.prompt()) is not None:
        if prompt.kind == "indicator" or prompt.id == "under_18":
            session.answer("no")
        else:
            session.answer(prompt.options[0][0] if prompt.options else "Tak")
    return session.state.model_dump_json()


def fresh_state() -> str:
    return SessionState(questionnaire_version=_version(), officer_lang="en").model_dump_json()


def _version() -> str:
    from screening.loader import default_screening

    return default_screening().questionnaire.version


def text_of(key: str, **values: object) -> str:
    return catalogue_text("screening", key, "en", **values)


def test_answers_move_on_and_bad_answers_are_explained() -> None:
    validated, said = reply("no", fresh_state())
    assert validated["screening_reply"] is None and not said
    assert SessionState.model_validate_json(validated[STATE]).context == {"under_18": "no"}
    validated, said = reply("maybe later", fresh_state())
    assert said and said[0].startswith(text_of("invalid_answer", reason="")[:20])
    assert SessionState.model_validate_json(validated[STATE]).context == {}


def test_cancel_by_button_word_or_confident_intent_but_not_an_answer() -> None:
    for text, kwargs in (("/cancel", {}), ("ยกเลิก", {}),
                         ("stop this screening", {"intent": "cancel", "confidence": 0.95})):
        validated, _ = reply(text, fresh_state(), **kwargs)
        assert validated["screening_reply"] == "cancelled", text
        assert SessionState.model_validate_json(validated[STATE]).status == "cancelled"
    unsure, _ = reply("stop this screening", fresh_state(), intent="cancel", confidence=0.5)
    assert unsure["screening_reply"] is None
    answer, _ = reply("No", fresh_state(), intent="cancel", confidence=0.99)
    assert SessionState.model_validate_json(answer[STATE]).context == {"under_18": "no"}
    answered, _ = reply("no", fresh_state())
    back, _ = reply("back", answered[STATE], intent="cancel", confidence=0.99)  # a command
    state = SessionState.model_validate_json(back[STATE])
    assert state.status != "cancelled" and state.context == {}


def test_pause_keeps_the_answers() -> None:
    validated, _ = reply("no", fresh_state())
    paused, _ = reply("pause", validated[STATE])
    state = SessionState.model_validate_json(paused[STATE])
    assert paused["screening_reply"] == "paused" and state.status == "paused"
    assert state.context == {"under_18": "no"}


def followups(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in events if e["event"] == "followup"]


def _run(action: Any, track: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, track, {})
    events = asyncio.run(events) if asyncio.iscoroutine(events) else events
    return events, [m.get("text") or "" for m in dispatcher.messages]


def test_public_channel_is_refused_and_unenrolled_officers_are_asked_for_a_code(
    app_env: str,
) -> None:
    events, said = _run(ActionScreeningStart(), tracker("/start_screening", metadata=PUBLIC))
    assert said == [text_of("public_channel")] and events == []
    events, said = _run(ActionScreeningStart(), tracker("/start_screening"))
    assert followups(events) == ["screening_enroll_form"] and not said


def test_enrolled_officer_starts_and_a_revoked_one_cannot_finish(app_env: str) -> None:
    code, _ = scoped(enrollment.issue_code)("Police", "investigator", timedelta(days=1))
    scoped(enrollment.redeem_code)("conv-officer", code)
    events, said = _run(ActionScreeningStart(), tracker("/start_screening"))
    assert said == [text_of("started", version=_version())]
    assert followups(events) == ["screening_form"]
    state = next(e["value"] for e in events if e.get("name") == STATE)
    assert current_session(tracker("x", {STATE: state})) is not None

    interrupted, _ = reply("no", state)  # an emergency left this one active: it resumes
    _, said = _run(ActionScreeningStart(), tracker("/start_screening", {STATE: interrupted[STATE]}))
    assert said == [text_of("resumed")]
    _, said = _run(ActionScreeningStart(), tracker("/start_screening", {STATE: '{"bad": 1}'}))
    assert said[0].startswith(text_of("cannot_resume", reason="")[:20]) and len(said) == 2

    list_officers = scoped(enrollment.list_officers)
    revoke_officer = scoped(enrollment.revoke_officer)

    done = finished_state()
    events, said = _run(ActionScreeningFinish(), tracker("x", {STATE: done}))
    assert said[0].startswith(text_of("result_heading", count=0)[:10])
    assert next(e["value"] for e in events if e.get("name") == "screening_record")
    revoke_officer(list_officers()[0].id)
    _, said = _run(ActionScreeningFinish(), tracker("x", {STATE: done}))
    assert said == [text_of("not_enrolled")]


def test_refer_when_the_case_api_is_down_keeps_the_record_unreferred(
    app_env: str, monkeypatch: Any
) -> None:
    from actions.screening_actions import RECORD, ActionScreeningRefer
    from saphan.db import reset_caches
    from screening import store
    from screening.adaptive import AdaptivePlanner
    from screening.loader import default_screening
    from screening.session import ScreeningSession
    from testsupport.stack import free_port

    monkeypatch.setenv("SAPHAN_GATEWAY_PORT", str(free_port()))  # nothing listens there
    reset_caches()
    session = ScreeningSession.start(default_screening(), AdaptivePlanner(default_screening()),
                                     "en")
    while (prompt := session.prompt()) is not None:
        session.answer(prompt.options[0][0] if prompt.options else "Tak")
    record = session.record("1", "Police")
    scoped(store.save_record)(record, None)

    events, said = _run(ActionScreeningRefer(), tracker("/affirm", {RECORD: record.id}))
    assert said == [text_of("refer_failed")] and events == []
    assert scoped(store.load_record)(record.id).case_id is None
    _, said = _run(ActionScreeningRefer(), tracker("/affirm"))
    assert said == [text_of("nothing_to_refer")]
