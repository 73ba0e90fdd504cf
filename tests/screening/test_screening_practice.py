"""Practice cases: valid against the rule, feedback on missed/wrong indicators and the result,
never recorded as a screening."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from screening.adaptive import AdaptivePlanner
from screening.cards import run_cards
from screening.errors import ScreeningDataError
from screening.loader import ScreeningData
from screening.practice import (
    PRACTICE_FILE,
    default_practice,
    feedback,
    load_practice,
    person_says,
    render_feedback,
)
from screening.scoring import score
from screening.session import ScreeningSession, SessionError

SECTORS = {"fishing", "seafood_processing", "domestic_work", "construction", "agriculture",
           "entertainment_sex_work", "online_scam_compound"}


def test_cases_cover_the_thai_contexts_and_every_result(data: ScreeningData) -> None:
    cases = default_practice().cases
    assert {case.context["sector"] for case in cases} == SECTORS
    assert {case.expected for case in cases} == {r.id for r in data.rules.results}
    assert any(case.context["under_18"] == "not_sure" for case in cases)  # minority presumed
    for case in cases:
        assert score(data, case.context, case.sheet(data)).category == case.expected


@pytest.mark.parametrize("case", default_practice().cases, ids=lambda c: c.id)
def test_a_careful_officer_gets_the_expected_result(
    data: ScreeningData, planner: AdaptivePlanner, case
) -> None:
    sheet = case.sheet(data)
    run = run_cards(planner, case.context, lambda item: sheet[item.id])
    result = feedback(data, case, case.context, run.answers, 4 + run.interactions, 300)
    assert result.right_result and not result.missed and not result.wrong
    assert not result.context_errors
    shown = render_feedback(data, case, result, "en")
    assert shown.startswith("[PRACTICE") and "Interactions used" in shown and "5.0 min" in shown


def test_a_hasty_officer_is_told_what_was_missed(data: ScreeningData,
                                                 planner: AdaptivePlanner) -> None:
    case = default_practice().case("karaoke_bar")
    adult = {**case.context, "under_18": "no"}  # missed the presumption of minority
    run = run_cards(planner, adult, lambda item: "no")  # ticked nothing
    run.answers["ex_education"] = "yes"  # and one the person never said
    result = feedback(data, case, adult, run.answers, 10)
    assert not result.right_result and result.result == "no_indicators"
    assert "cd_forced_tasks" in result.missed and result.wrong == ("ex_education",)
    assert result.context_errors == ("under_18",)
    shown = render_feedback(data, case, result, "th")
    assert data.questionnaire.item("cd_forced_tasks").label.th in shown
    assert "ฝึกปฏิบัติ" in shown


def test_the_person_answers_from_the_case(data: ScreeningData) -> None:
    case = default_practice().case("fishing_boat")
    said = person_says(data, case, [(1, "cd_documents"), (2, "cd_violence"), (3, "cd_threats")],
                       "en")
    assert "1. Yes «The captain has my pink card.»" in said
    assert "2. Not sure" in said and "Others: no." in said


def test_practice_is_never_recorded(data: ScreeningData, planner: AdaptivePlanner) -> None:
    session = ScreeningSession.start(data, planner, "en", mode="card", practice="fishing_boat")
    session.answer("profile:no:labour")
    for value in ("fishing", "Myanmar", "Samut Sakhon"):
        session.answer(value)
    while session.prompt() is not None:
        session.answer("rest:no")
    with pytest.raises(SessionError, match="practice"):
        session.record("1", "Police")
    resumed = ScreeningSession.resume(data, planner, session.pause())
    assert resumed.state.practice == "fishing_boat"


def test_a_case_whose_expected_result_is_wrong_fails_at_load(tmp_path: Path,
                                                             data: ScreeningData) -> None:
    raw = yaml.safe_load(PRACTICE_FILE.read_text(encoding="utf-8"))
    raw["cases"][0]["expected"] = "no_indicators"
    bad = tmp_path / "practice_cases.yml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScreeningDataError, match=r"practice_cases\.yml.*fishing_boat.*rule"):
        load_practice(bad, data)
