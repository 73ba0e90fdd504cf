"""Adaptive order: same result category as the full questionnaire, for all answer patterns."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.adaptive import run_adaptive
from screening.loader import load_screening
from screening.questionnaire import ANSWER_IDS
from screening.scoring import score, select

DATA = load_screening()
CONTEXTS = [
    {"under_18": under_18, "exploitation_form": form, "moved_or_recruited": moved}
    for under_18 in ("no", "yes", "not_sure")
    for form in ("labour", "sexual", "criminality")
    for moved in (("yes", "no", "not_sure") if under_18 != "no" else ("",))
]


@st.composite
def screenings(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """A context and a full answer sheet: uniformly random, or mostly "no" with a few "yes"
    (the patterns near the thresholds, where early stopping is most delicate)."""
    context = {k: v for k, v in draw(st.sampled_from(CONTEXTS)).items() if v}
    items = [i.id for i in DATA.questionnaire.items_for(select(DATA, context).list_id)]
    if draw(st.booleans()):
        values = draw(
            st.lists(st.sampled_from(ANSWER_IDS), min_size=len(items), max_size=len(items))
        )
        return context, dict(zip(items, values, strict=True))
    chosen = draw(st.sets(st.sampled_from(items), max_size=12))
    filler = draw(st.sampled_from(("no", "not_sure", "skip")))
    return context, {i: "yes" if i in chosen else filler for i in items}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(screenings())
def test_adaptive_result_equals_full_result(planner, case) -> None:
    context, full_answers = case
    full = score(DATA, context, full_answers)
    asked = run_adaptive(planner, context, lambda item: full_answers[item.id])
    adaptive = score(DATA, context, asked)
    # The category is always the same.
    assert adaptive.category == full.category
    # Every answer given is the person's real answer; nothing is asked twice.
    assert all(full_answers[i] == a for i, a in asked.items())
    assert len(asked) <= len(full_answers)
    # Stopping early can only leave dimensions unexplored: what the adaptive run reports as
    # positive (and the indicators behind it) is positive in the full questionnaire too.
    assert set(adaptive.positive_dimensions) <= set(full.positive_dimensions)
    for dimension, ids in adaptive.indicators.items():
        assert set(ids) <= set(full.indicators[dimension])
    # And the result was fixed when it stopped: no remaining answers could change it.
    remaining = [i for i in full_answers if i not in asked]
    for fill in ("yes", "no"):
        completed = asked | dict.fromkeys(remaining, fill)
        assert score(DATA, context, completed).category == full.category


def test_strong_indicators_are_asked_first(planner) -> None:
    for lst in DATA.questionnaire.lists:
        ranks = ["strong", "medium", "weak"]
        order = [ranks.index(i.strength[lst.id]) for i in planner.order(lst.id)]
        assert order == sorted(order)
        assert len(order) == len(DATA.questionnaire.items_for(lst.id))


def test_positive_dimension_is_not_asked_again(planner) -> None:
    context = {"under_18": "no", "exploitation_form": "labour"}
    for fill in ("yes", "no"):
        answers = {"cd_documents": "yes", "cd_debt": "yes"}  # coercion at destination positive
        while (item := planner.next_item(context, answers)) is not None:
            assert item.dimension != "coercion_destination"
            answers[item.id] = fill
        assert "coercion_destination" in score(DATA, context, answers).positive_dimensions


def test_all_no_stops_once_a_part_can_no_longer_be_positive(planner) -> None:
    context = {"under_18": "no", "exploitation_form": "labour"}
    asked = run_adaptive(planner, context, lambda item: "no")
    assert score(DATA, context, asked).category == "no_indicators"
    assert len(asked) < len(DATA.questionnaire.items_for("adult_labour"))
