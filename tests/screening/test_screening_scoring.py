"""Every branch of the ILO/EC combination rule and the child rule, with worked examples."""

from __future__ import annotations

import re

import pytest

from screening.scoring import ScreeningInputError, describe, score

ADULT_LABOUR = {"under_18": "no", "exploitation_form": "labour"}
ADULT_SEXUAL = {"under_18": "no", "exploitation_form": "sexual"}
CHILD_LABOUR = {"under_18": "yes", "exploitation_form": "labour", "moved_or_recruited": "no"}
CHILD_SEXUAL = {"under_18": "yes", "exploitation_form": "sexual", "moved_or_recruited": "no"}
RECRUITMENT = ["deceptive_recruitment", "coercive_recruitment", "recruitment_vulnerability"]
DESTINATION = ["coercion_destination", "vulnerability_destination"]


def yes(*groups: list[str]) -> dict[str, str]:
    return {item_id: "yes" for group in groups for item_id in group}


# ---- when is a dimension positive -------------------------------------------------------


# Coercion at destination: 4 strong, 8 medium, 1 weak adult labour indicators; abuse of
# vulnerability at recruitment: 9 medium, 2 weak.
@pytest.mark.parametrize(
    ("dimension", "grading", "positive"),
    [
        ("coercion_destination", {"strong": 2}, True),
        ("coercion_destination", {"strong": 1, "medium": 1}, True),
        ("coercion_destination", {"strong": 1, "weak": 1}, True),
        ("coercion_destination", {"medium": 3}, True),
        ("coercion_destination", {"medium": 2, "weak": 1}, True),
        ("recruitment_vulnerability", {"medium": 2, "weak": 1}, True),
        ("coercion_destination", {"strong": 1}, False),
        ("coercion_destination", {"medium": 2}, False),
        ("coercion_destination", {"medium": 1, "weak": 1}, False),
        ("recruitment_vulnerability", {"medium": 1, "weak": 2}, False),
        ("recruitment_vulnerability", {"weak": 2}, False),
    ],
)
def test_dimension_positive_combinations(data, pick, dimension, grading, positive) -> None:
    chosen = [
        item_id
        for strength, n in grading.items()
        for item_id in pick("adult_labour", dimension, strength, n)
    ]
    result = score(data, ADULT_LABOUR, yes(chosen))
    assert result.positive_dimensions == ((dimension,) if positive else ())
    assert result.indicators[dimension] == tuple(
        i.id for i in data.questionnaire.items_for("adult_labour") if i.id in chosen
    )


def test_weak_indicators_alone_never_positive(data) -> None:
    weak = [
        i.id
        for i in data.questionnaire.items_for("adult_labour")
        if i.strength["adult_labour"] == "weak"
    ]
    result = score(data, ADULT_LABOUR, yes(weak))
    assert result.positive_dimensions == ()
    assert result.category == "no_indicators"
    assert set().union(*result.indicators.values()) == set(weak)


def test_only_yes_counts(data) -> None:
    items = ["cd_documents", "cd_debt", "ex_hours", "ex_pay", "dr_job_nature", "dr_wages"]
    for answer in ("no", "not_sure", "skip"):
        result = score(data, ADULT_LABOUR, dict.fromkeys(items, answer))
        assert result.category == "no_indicators" and result.indicators == {}


# ---- adult rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("recruitment", RECRUITMENT)
@pytest.mark.parametrize("destination", DESTINATION)
@pytest.mark.parametrize("context", [ADULT_LABOUR, ADULT_SEXUAL], ids=["labour", "sexual"])
def test_adult_likely_victim_needs_recruitment_exploitation_destination(
    data, pick, recruitment, destination, context
) -> None:
    lst = "adult_labour" if context is ADULT_LABOUR else "adult_sexual"
    groups = {
        recruitment: pick(lst, recruitment, "medium", 3),
        "exploitation": pick(lst, "exploitation", "medium", 3),
        destination: pick(lst, destination, "medium", 3),
    }
    full = score(data, context, yes(*groups.values()))
    assert full.category == "likely_victim"
    assert full.list_id == lst
    assert set(full.positive_dimensions) == set(groups)
    assert full.indicators_behind() == {d: tuple(ids) for d, ids in full.indicators.items()}
    for missing in groups:  # drop any one of the three parts: no longer "likely victim"
        partial = score(data, context, yes(*(ids for d, ids in groups.items() if d != missing)))
        assert partial.category == "indicators_present"
        assert missing not in partial.positive_dimensions


def test_adult_worked_example_fishing_boat(data) -> None:
    """Deceived about the job (strong) and wages (medium); long hours (strong) and no pay
    (medium); passport kept (strong) and debt (strong): all three parts positive."""
    answers = yes(["dr_job_nature", "dr_wages", "ex_hours", "ex_pay", "cd_documents", "cd_debt"])
    answers |= {"cr_violence": "no", "vd_dependency": "not_sure", "rv_economic": "skip"}
    result = score(data, ADULT_LABOUR, answers)
    assert result.category == "likely_victim"
    assert result.positive_dimensions == (
        "deceptive_recruitment",
        "exploitation",
        "coercion_destination",
    )
    assert result.indicators["coercion_destination"] == ("cd_documents", "cd_debt")


def test_adult_worked_example_indicators_without_recruitment(data) -> None:
    """Exploitation and coercion at destination, but one strong recruitment indicator only."""
    answers = yes(["dr_job_nature", "ex_hours", "ex_hazardous", "cd_isolation", "cd_violence"])
    result = score(data, ADULT_LABOUR, answers)
    assert result.category == "indicators_present"
    assert result.positive_dimensions == ("exploitation", "coercion_destination")
    assert result.indicators["deceptive_recruitment"] == ("dr_job_nature",)
    assert "deceptive_recruitment" not in result.indicators_behind()


def test_no_answers_no_indicators(data) -> None:
    result = score(data, ADULT_LABOUR, {})
    assert (result.category, result.positive_dimensions) == ("no_indicators", ())


# ---- child rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("context", [CHILD_LABOUR, CHILD_SEXUAL], ids=["labour", "sexual"])
def test_child_exploitation_and_movement_is_enough(data, pick, context) -> None:
    lst = "child_labour" if context is CHILD_LABOUR else "child_sexual"
    exploitation = pick(lst, "exploitation", "strong", 1) + pick(lst, "exploitation", "medium", 1)
    moved = score(data, context | {"moved_or_recruited": "yes"}, yes(exploitation))
    assert moved.category == "likely_victim"
    assert moved.positive_dimensions == ("exploitation",)
    assert moved.profile == "child" and moved.list_id == lst
    not_moved = score(data, context, yes(exploitation))
    assert not_moved.category == "indicators_present"
    unsure = score(data, context | {"moved_or_recruited": "not_sure"}, yes(exploitation))
    assert unsure.category == "indicators_present"


@pytest.mark.parametrize("recruitment", RECRUITMENT)
def test_child_any_recruitment_indicator_counts_as_act(data, pick, recruitment) -> None:
    """No means are needed for a child: one indicator of recruitment, even weak or medium
    and not making the dimension positive, is an act of recruitment/movement."""
    exploitation = pick("child_labour", "exploitation", "medium", 3)
    act = pick("child_labour", recruitment, "medium", 1)
    result = score(data, CHILD_LABOUR, yes(exploitation, act))
    assert result.category == "likely_victim"
    assert recruitment not in result.positive_dimensions
    adult = score(data, ADULT_LABOUR, yes(exploitation, act))
    assert adult.category == "indicators_present"


def test_child_without_exploitation_is_not_likely_victim(data, pick) -> None:
    answers = yes(
        pick("child_labour", "deceptive_recruitment", "medium", 3),
        pick("child_labour", "coercion_destination", "strong", 2),
        pick("child_labour", "exploitation", "medium", 2),
    )
    result = score(data, CHILD_LABOUR | {"moved_or_recruited": "yes"}, answers)
    assert result.category == "indicators_present"
    assert "exploitation" not in result.positive_dimensions


def test_uncertain_age_is_treated_as_child(data) -> None:
    result = score(data, {"under_18": "not_sure", "exploitation_form": "labour"}, {})
    assert (result.profile, result.list_id) == ("child", "child_labour")


def test_child_list_grades_threats_higher(data) -> None:
    """Threats of violence are strong in the child lists: with one weak indicator the
    dimension is positive for a child but not for an adult."""
    answers = yes(["cd_threats", "cd_inform_family"])
    assert score(data, CHILD_LABOUR, answers).positive_dimensions == ("coercion_destination",)
    assert score(data, ADULT_LABOUR, answers).positive_dimensions == ()


# ---- input errors and wording --------------------------------------------------------------


def test_bad_input_is_rejected(data) -> None:
    with pytest.raises(ScreeningInputError, match="not in list"):
        score(data, ADULT_LABOUR, {"no_such_item": "yes"})
    with pytest.raises(ScreeningInputError, match="must be one of yes, no, not_sure, skip"):
        score(data, ADULT_LABOUR, {"ex_hours": "maybe"})
    with pytest.raises(ScreeningInputError, match="under_18"):
        score(data, {"exploitation_form": "labour"}, {})
    with pytest.raises(ScreeningInputError, match="exploitation_form"):
        score(data, {"under_18": "no", "exploitation_form": "organs"}, {})


VERDICT = re.compile(r"\b(is|are) (a )?victims?\b|\bconfirmed\b|\bidentified as\b", re.I)


@pytest.mark.parametrize("lang", ["en", "th"])
def test_wording_never_declares_a_victim(data, lang) -> None:
    examples = {
        "likely_victim": yes(
            ["dr_job_nature", "dr_wages", "ex_hours", "ex_pay", "cd_debt", "cd_documents"]
        ),
        "indicators_present": yes(["ex_hours", "ex_pay"]),
        "no_indicators": yes(["ex_education"]),
    }
    disclaimer = data.rules.wording["disclaimer"].get(lang)
    for category, answers in examples.items():
        result = score(data, ADULT_LABOUR, answers)
        assert result.category == category
        text = describe(data, result, lang, stopped_early=True)
        assert disclaimer in text
        assert data.rules.wording["stopped_early"].get(lang) in text
        assert not VERDICT.search(text)
        assert "เป็นผู้เสียหาย" not in text
        for dimension in result.positive_dimensions:
            label = next(d.label for d in data.questionnaire.dimensions if d.id == dimension)
            assert label.get(lang) in text
