"""The screening conversation state machine: context, questions, back, pause/resume, cancel."""

from __future__ import annotations

import json

import pytest

from screening.htcds import export_json
from screening.session import ScreeningSession, SessionError

FISHING_BOAT = {
    "dr_job_nature": "yes",
    "dr_wages": "yes",
    "ex_hours": "yes",
    "ex_pay": "yes",
    "cd_documents": "yes",
    "cd_debt": "yes",
}


def answer_context(session: ScreeningSession, **context: str) -> None:
    for question_id, value in context.items():
        prompt = session.prompt()
        assert prompt is not None and prompt.kind == "context" and prompt.id == question_id
        session.answer(value)


def run_questions(session: ScreeningSession, answers: dict[str, str], default: str) -> list[str]:
    asked = []
    while (prompt := session.prompt()) is not None:
        assert prompt.kind == "indicator"
        asked.append(prompt.id)
        session.answer(answers.get(prompt.id, default))
    return asked


ADULT = {
    "under_18": "no",
    "sector": "fishing",
    "exploitation_form": "labour",
    "nationality": "Myanmar",
    "province": "Ranong",
}


def test_full_screening_in_english(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en", person_lang="en")
    first = session.prompt()
    assert first is not None and first.text == "Is the person under 18?"
    assert [label for _, label in first.options] == ["Yes", "No", "Not sure"]
    answer_context(session, **ADULT)  # an adult is not asked the child movement question
    prompt = session.prompt()
    assert prompt is not None and prompt.kind == "indicator"
    assert [o for o, _ in prompt.options] == ["yes", "no", "not_sure", "skip"]
    asked = run_questions(session, FISHING_BOAT, "no")
    assert session.is_done and session.prompt() is None
    result = session.result()
    assert result.category == "likely_victim"
    assert len(asked) < len(data.questionnaire.items_for("adult_labour")) and session.stopped_early
    summary = session.summary()
    assert data.rules.wording["likely_victim"].en in summary
    assert data.rules.wording["disclaimer"].en in summary
    record = session.record(officer_id="o-1", agency="DLPW Ranong")
    exported = json.loads(export_json([record], data=data))[0]
    assert exported["saphan_Result"] == "likely_victim"
    assert exported["saphan_Province"] == "Ranong"


def test_full_screening_in_thai_with_thai_labels(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="th", person_lang="th")
    assert session.prompt().text == "บุคคลนี้อายุต่ำกว่า 18 ปีหรือไม่"
    session.answer("ใช่")  # under 18: the movement question follows
    assert session.prompt().id == "moved_or_recruited"
    session.answer("ใช่")
    session.answer("ประมง")
    session.answer("แรงงาน")
    session.answer("เมียนมา")
    session.answer("ระนอง")
    first = session.prompt()
    assert first.kind == "indicator" and first.options[0] == ("yes", "ใช่")
    while (prompt := session.prompt()) is not None:
        session.answer("ใช่" if prompt.id in ("ex_hours", "ex_pay") else "ไม่ใช่")
    result = session.result()
    assert (result.category, result.profile) == ("likely_victim", "child")
    assert data.rules.wording["disclaimer"].th in session.summary()


def test_back_changes_the_previous_answer(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en")
    with pytest.raises(SessionError, match="nothing to go back to"):
        session.back()
    answer_context(session, **ADULT)
    first = session.prompt()
    second = session.answer("yes")
    assert second is not None and second.id != first.id
    again = session.back()
    assert again is not None and again.id == first.id and first.id not in session.state.answers
    session.answer("no")
    assert session.state.answers[first.id] == "no"
    session.back()
    back_to_context = session.back()
    assert back_to_context.kind == "context" and back_to_context.id == "province"
    session.answer("Tak")
    assert session.state.context["province"] == "Tak"


def test_back_over_age_drops_the_child_question(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en")
    session.answer("yes")
    session.answer("no")  # moved_or_recruited
    assert session.back().id == "moved_or_recruited"
    assert session.back().id == "under_18"
    session.answer("no")
    assert session.prompt().id == "sector"
    assert "moved_or_recruited" not in session.state.context


def test_pause_and_resume(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en", person_lang="my")
    answer_context(session, **ADULT)
    session.answer("yes")
    current = session.prompt()
    payload = session.pause()
    with pytest.raises(SessionError, match="paused"):
        session.answer("yes")
    resumed = ScreeningSession.resume(data, planner, payload)
    assert resumed.prompt() == current
    assert resumed.state.person_lang == "my"
    run_questions(resumed, FISHING_BOAT, "no")
    assert resumed.result().category in ("likely_victim", "indicators_present")
    with pytest.raises(SessionError, match="only a paused screening"):
        ScreeningSession.resume(data, planner, resumed.state.model_dump_json())


def test_resume_refuses_stale_or_damaged_state(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en")
    answer_context(session, **ADULT)
    session.answer("yes")
    stored = json.loads(session.pause())
    old = dict(stored, questionnaire_version="2020-1")
    with pytest.raises(SessionError, match="start a new screening"):
        ScreeningSession.resume(data, planner, json.dumps(old))
    skipped = dict(
        stored,
        answers={"ex_education": "yes"},
        history=[*stored["history"][:-1], ["indicator", "ex_education"]],
    )
    with pytest.raises(SessionError, match="do not follow the questionnaire"):
        ScreeningSession.resume(data, planner, json.dumps(skipped))
    with pytest.raises(SessionError, match="damaged"):
        ScreeningSession.resume(data, planner, '{"status": "paused"')
    with pytest.raises(SessionError, match="damaged"):
        ScreeningSession.resume(data, planner, json.dumps(dict(stored, person_name="X")))


def test_cancel_discards_everything(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en")
    answer_context(session, **ADULT)
    session.answer("yes")
    session.cancel()
    assert session.state.answers == {} and session.state.context == {}
    assert session.state.history == []
    for action in (session.prompt, session.back, session.pause):
        with pytest.raises(SessionError, match="cancelled"):
            action()


def test_person_text_in_the_persons_language(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="th", person_lang="en")
    assert session.person_text().text == "Are you under 18 years old?"
    assert session.person_text("th").text == "คุณอายุต่ำกว่า 18 ปีหรือไม่"
    khmer = session.person_text("km")  # a machine draft: shown with its review flag
    assert (khmer.lang, khmer.needs_review) == ("km", True)
    assert khmer.text == data.questionnaire.context_question("under_18").person.km.text
    session.set_person_language("lo")
    answer_context(session, under_18="no", sector="fishing", exploitation_form="labour")
    lao = session.person_text()
    assert lao.lang == "lo" and lao.needs_review
    assert lao.text == data.questionnaire.context_question("nationality").person.lo.text
    with pytest.raises(SessionError, match="person language"):
        session.set_person_language("fr")


def test_bad_answers_are_refused_and_change_nothing(data, planner) -> None:
    session = ScreeningSession.start(data, planner, officer_lang="en")
    with pytest.raises(SessionError, match="please answer one of: yes, no, not_sure"):
        session.answer("maybe")
    assert session.state.context == {}
    answer_context(session, under_18="no", sector="fishing", exploitation_form="labour")
    with pytest.raises(SessionError, match="1 to 80 characters"):
        session.answer("x" * 81)
    with pytest.raises(SessionError, match="1 to 80 characters"):
        session.answer("   ")
    assert "nationality" not in session.state.context
    with pytest.raises(SessionError, match="not complete"):
        session.result()
