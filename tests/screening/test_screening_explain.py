"""The explained result: findings with strength by short label, why in words, what is unknown,
the next step for this person; never a verdict, never the raw question text."""

from __future__ import annotations

import re

import pytest

from screening.adaptive import AdaptivePlanner
from screening.cards import run_cards
from screening.explain import explain
from screening.loader import ScreeningData

VERDICT = re.compile(r"\b(is|are) (a )?victims?\b|\bconfirmed\b|\bidentified as\b|"
                     r"\bvictim\b(?! of trafficking\.)", re.I)
ADULT = {"under_18": "no", "exploitation_form": "labour", "sector": "fishing",
         "nationality": "Myanmar", "province": "Chonburi"}
FISHING_BOAT = {"dr_job_nature": "yes", "dr_wages": "yes", "ex_hours": "yes", "ex_pay": "yes",
                "cd_documents": "yes", "cd_debt": "yes"}


def no_question_text(data: ScreeningData, shown: str) -> None:
    for item in data.questionnaire.items:
        for lang in ("en", "th"):
            assert item.officer.get(lang) not in shown
    assert "หรือไม่;" not in shown and "?;" not in shown


@pytest.mark.parametrize("lang", ["en", "th"])
def test_likely_adult_explained_by_dimension_with_strength(data: ScreeningData,
                                                           lang: str) -> None:
    explanation = explain(data, ADULT, FISHING_BOAT, lang, interactions=11)
    assert explanation.category == "likely_victim"
    found = {d.dimension: d for d in explanation.dimensions if d.found}
    assert set(found) == {"deceptive_recruitment", "exploitation", "coercion_destination"}
    assert all(d.positive for d in found.values())
    assert [(f.item_id, f.strength) for f in found["coercion_destination"].found] == [
        ("cd_documents", "strong"), ("cd_debt", "strong")]
    shown = explanation.render()
    label = data.questionnaire.item("cd_documents").label.get(lang)
    assert label in shown and "11" in shown
    assert data.rules.wording["likely_victim"].get(lang) in shown
    assert data.rules.wording["disclaimer"].get(lang) in shown
    assert "1300" in shown and "191" in shown
    assert "Myanmar" in explanation.next_heading and "Chonburi" in explanation.next_heading
    no_question_text(data, shown)
    if lang == "en":
        assert not VERDICT.search(shown.replace(data.rules.wording["disclaimer"].en, ""))
        assert explanation.why[0].startswith("met: ")
        assert "Deceptive recruitment" in explanation.why[0]


def test_some_indicators_say_what_is_missing_and_unknown(data: ScreeningData,
                                                         planner: AdaptivePlanner) -> None:
    sheet = {i.id: "no" for i in data.questionnaire.items_for("adult_labour")}
    sheet.update(cd_documents="yes", cd_debt="yes")
    run = run_cards(planner, ADULT, lambda item: sheet[item.id])
    explanation = explain(data, ADULT, run.answers, "en")
    assert explanation.category == "indicators_present"
    assert len(explanation.why) == 2
    assert explanation.why[1].startswith('not met for "likely case of trafficking')
    assert "Exploitative conditions of work positive" in explanation.why[1]
    assert "Still unknown" in explanation.unknown or "Every indicator" in explanation.unknown
    assert explanation.child_note is None


def test_child_result_says_means_were_not_needed(data: ScreeningData,
                                                 planner: AdaptivePlanner) -> None:
    context = {"under_18": "yes", "moved_or_recruited": "yes", "exploitation_form": "labour",
               "sector": "agriculture", "nationality": "Thai", "province": "Tak"}
    sheet = {i.id: "yes" for i in data.questionnaire.items_for("child_labour")}
    run = run_cards(planner, context, lambda item: sheet[item.id])
    explanation = explain(data, context, run.answers, "en")
    assert explanation.category == "likely_victim"
    assert explanation.child_note is not None
    assert "Palermo" in explanation.child_note
    assert "Coercion at destination" in explanation.child_note  # named as not asked
    assert any("Prachabodi" in step and "child" in step.casefold()
               for step in explanation.next_steps)
    assert not any("Not Thai" in step for step in explanation.next_steps)


def test_no_indicators_for_a_foreigner_adds_the_interpreter_step(data: ScreeningData) -> None:
    explanation = explain(data, ADULT, {"ex_hours": "no"}, "th")
    assert explanation.category == "no_indicators"
    assert any("ล่าม" in step for step in explanation.next_steps)
    assert not VERDICT.search(explanation.render())
