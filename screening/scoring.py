"""Score answers with the ILO/EC combination rule (and the child rule) from `rules.yml`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from screening.loader import ScreeningData
from screening.questionnaire import ANSWER_IDS, Item
from screening.rules import DimensionState


class ScreeningInputError(ValueError):
    """Answers or context that do not fit the questionnaire."""


@dataclass(frozen=True)
class Selection:
    """Which profile (adult/child) and indicator list a screening uses."""

    profile: str
    list_id: str


@dataclass(frozen=True)
class ScreeningResult:
    """Result category with the positive dimensions and the indicators behind them."""

    category: str
    profile: str
    list_id: str
    positive_dimensions: tuple[str, ...]
    indicators: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Every indicator answered "yes", by dimension (only dimensions with one)."""
    module: Mapping[str, str] = field(default_factory=dict)
    """Answers to the supplementary forced-criminality module (never part of the category)."""

    def indicators_behind(self) -> dict[str, tuple[str, ...]]:
        """The "yes" indicators of the positive dimensions."""
        return {d: self.indicators[d] for d in self.positive_dimensions}

    def to_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "profile": self.profile,
            "list_id": self.list_id,
            "positive_dimensions": list(self.positive_dimensions),
            "indicators": {d: list(ids) for d, ids in self.indicators.items()},
            **({"module": dict(self.module)} if self.module else {}),
        }


def select(data: ScreeningData, context: Mapping[str, str]) -> Selection:
    """The profile and list for the context answers `under_18` and `exploitation_form`."""
    rules = data.rules
    under_18 = context.get("under_18")
    if under_18 not in rules.profile_by_under_18:
        raise ScreeningInputError(
            f"context under_18 must be one of {', '.join(rules.profile_by_under_18)}; "
            f"got {under_18!r}"
        )
    profile = rules.profile_by_under_18[under_18]
    forms = rules.list_by_profile_and_form[profile]
    form = context.get("exploitation_form")
    if form not in forms:
        raise ScreeningInputError(
            f"context exploitation_form must be one of {', '.join(forms)}; got {form!r}"
        )
    return Selection(profile, forms[form])


def check_answers(data: ScreeningData, list_id: str, answers: Mapping[str, str]) -> None:
    """Raise ScreeningInputError for unknown items, items of another list or bad answers."""
    in_list = {item.id for item in data.questionnaire.items_for(list_id)}
    for item_id, answer in answers.items():
        if item_id not in in_list:
            raise ScreeningInputError(f"indicator {item_id!r} is not in list {list_id!r}")
        if answer not in ANSWER_IDS:
            raise ScreeningInputError(
                f"answer to {item_id!r} must be one of {', '.join(ANSWER_IDS)}; got {answer!r}"
            )


def dimension_state(
    data: ScreeningData, list_id: str, present_ids: Iterable[str]
) -> DimensionState:
    """Positivity and presence per dimension when exactly `present_ids` are present."""
    counts: dict[str, Counter[str]] = {}
    by_id: dict[str, Item] = {item.id: item for item in data.questionnaire.items_for(list_id)}
    for item_id in present_ids:
        item = by_id[item_id]
        counts.setdefault(item.dimension, Counter())[item.strength[list_id]] += 1
    positive = frozenset(d for d, c in counts.items() if data.rules.dimension_positive(c))
    return DimensionState(positive=positive, present=frozenset(counts))


def score(
    data: ScreeningData, context: Mapping[str, str], answers: Mapping[str, str]
) -> ScreeningResult:
    """Score `answers` ({item id: yes|no|not_sure|skip}); unanswered items count as absent."""
    selection = select(data, context)
    check_answers(data, selection.list_id, answers)
    present = [i for i, a in answers.items() if a in data.rules.present_answers]
    state = dimension_state(data, selection.list_id, present)
    index = data.rules.result_index(selection.profile, state, context)
    order = data.questionnaire.dimension_ids()
    indicators: dict[str, tuple[str, ...]] = {}
    for item in data.questionnaire.items_for(selection.list_id):
        if item.id in present:
            indicators[item.dimension] = (*indicators.get(item.dimension, ()), item.id)
    return ScreeningResult(
        category=data.rules.results[index].id,
        profile=selection.profile,
        list_id=selection.list_id,
        positive_dimensions=tuple(d for d in order if d in state.positive),
        indicators={d: indicators[d] for d in order if d in indicators},
    )


def describe(
    data: ScreeningData, result: ScreeningResult, lang: str, *, stopped_early: bool = False
) -> str:
    """Officer-facing summary: result wording, positive dimensions and indicators, disclaimer.

    The wording comes from `rules.yml` and never declares anyone a victim.
    """
    wording = data.rules.wording
    questionnaire = data.questionnaire
    lines = [wording[result.category].get(lang)]
    labels = {d.id: d.label.get(lang) for d in questionnaire.dimensions}
    for dimension, item_ids in result.indicators_behind().items():
        names = "; ".join(questionnaire.item(i).label.get(lang) for i in item_ids)
        lines.append(f"• {labels[dimension]}: {names}")
    if stopped_early:
        lines.append(wording["stopped_early"].get(lang))
    lines.append(wording["disclaimer"].get(lang))
    return "\n".join(lines)
