"""Why a screening has its result, in words: per dimension the indicators found with their
strength, which conditions of the rule hold or fail, what is still unknown, and the NRM next
step for this person. Texts come from the catalogue (`content/texts/screening.yml`), labels
from the questionnaire (short labels, never the question text); never a verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from content.catalogue import text as catalogue_text
from screening.criminality import default_criminality
from screening.loader import ScreeningData
from screening.next_steps import NextStepsFile, next_steps_for
from screening.rules import Condition, DimensionState
from screening.scoring import ScreeningResult, dimension_state, score, select

THAI = {"thai", "thailand", "ไทย", "คนไทย", "สัญชาติไทย"}


def _t(key: str, lang: str, **values: object) -> str:
    return catalogue_text("screening", key, lang, **values)


@dataclass(frozen=True)
class Finding:
    """One indicator answered "yes": its short label and strength in the list used."""

    item_id: str
    label: str
    strength: str


@dataclass(frozen=True)
class DimensionReport:
    dimension: str
    label: str
    positive: bool
    found: tuple[Finding, ...]
    asked: int
    total: int


@dataclass(frozen=True)
class Explanation:
    """Everything the officer (and the referral packet) shows about one result."""

    lang: str
    category: str
    result_label: str
    wording: str
    profile: str
    list_label: str
    dimensions: tuple[DimensionReport, ...]
    threshold: str
    why: tuple[str, ...]
    unknown: str
    child_note: str | None
    next_heading: str
    next_steps: tuple[str, ...]
    disclaimer: str
    interactions: int | None = None
    module: str | None = None
    """The supplementary forced-criminality findings in words (only when it was asked)."""

    def render(self) -> str:
        """Plain text: the result with its reasons, then the next steps."""
        return f"{self.render_result()}\n\n{self.render_next()}"

    def render_result(self) -> str:
        """The result, findings by dimension, why, what is unknown (a chat message)."""
        head = (_t("explain_result", self.lang, result=self.result_label, count=self.interactions)
                if self.interactions is not None else self.result_label)
        lines = [head, self.wording, "", _t("explain_found_heading", self.lang)]
        found = [d for d in self.dimensions if d.found]
        for report in found:
            state = _t("explain_dimension_positive" if report.positive
                       else "explain_dimension_below", self.lang)
            items = "; ".join(f"{f.label} ({_t(f'strength_{f.strength}', self.lang)})"
                              for f in report.found)
            lines.append(f"• {report.label} [{state}]: {items}")
        if not found:
            lines.append(_t("explain_none_found", self.lang))
        lines += [self.threshold, "", _t("explain_why_heading", self.lang)]
        lines += [f"• {reason}" for reason in self.why]
        lines.append(self.unknown)
        if self.child_note:
            lines.append(self.child_note)
        if self.module:
            lines += ["", self.module]
        lines += ["", self.disclaimer]
        return "\n".join(lines)

    def render_next(self) -> str:
        """The NRM next steps for this result and person (a chat message)."""
        steps = [f"{n}. {step}" for n, step in enumerate(self.next_steps, 1)]
        return "\n".join([self.next_heading, *steps])


def _dimension_labels(data: ScreeningData, lang: str) -> dict[str, str]:
    return {d.id: d.label.get(lang) for d in data.questionnaire.dimensions}


def _words(condition: Condition, data: ScreeningData, lang: str) -> str:
    """A condition of rules.yml in words."""
    labels = _dimension_labels(data, lang)
    if condition.all_ is not None:
        if not condition.all_:
            return _t("explain_no_dimension", lang)
        return _t("explain_and", lang).join(_words(c, data, lang) for c in condition.all_)
    if condition.any_ is not None:
        inner = _t("explain_or", lang).join(_words(c, data, lang) for c in condition.any_)
        return f"({inner})"
    if condition.positive_any is not None:
        names = _t("explain_or", lang).join(labels[d] for d in condition.positive_any)
        return _t("cond_positive_any", lang, dimensions=names)
    if condition.present_any is not None:
        names = _t("explain_or", lang).join(labels[d] for d in condition.present_any)
        return _t("cond_present_any", lang, dimensions=names)
    assert condition.context_in is not None
    return _t("explain_or", lang).join(_t(f"cond_context_{key}", lang)
                                       for key in condition.context_in)


def _held(condition: Condition, state: DimensionState, context: Mapping[str, str],
          data: ScreeningData, lang: str) -> str:
    """The parts of a holding condition that make it hold, in words (only the dimensions that
    are positive or present)."""
    labels = _dimension_labels(data, lang)
    if condition.all_:
        return _t("explain_and", lang).join(_held(c, state, context, data, lang)
                                            for c in condition.all_)
    if condition.any_ is not None:
        held = [c for c in condition.any_ if c.holds(state, context)]
        return _t("explain_or", lang).join(_held(c, state, context, data, lang) for c in held)
    if condition.positive_any is not None:
        names = ", ".join(labels[d] for d in condition.positive_any if d in state.positive)
        return _t("cond_positive_any", lang, dimensions=names)
    if condition.present_any is not None:
        names = ", ".join(labels[d] for d in condition.present_any if d in state.present)
        return _t("cond_present_any", lang, dimensions=names)
    return _words(condition, data, lang)


def _failing(condition: Condition, state: DimensionState,
             context: Mapping[str, str]) -> tuple[Condition, ...]:
    """The parts of a condition that do not hold (the whole condition unless it is `all`)."""
    if condition.all_:
        return tuple(c for c in condition.all_ if not c.holds(state, context))
    return (condition,)


def threshold_words(data: ScreeningData, lang: str) -> str:
    """`dimension_positive_when` in words."""
    combos = [
        " + ".join(f"{n} {_t(f'strength_{s}', lang)}" for s, n in combination.items())
        for combination in data.rules.dimension_positive_when
    ]
    return _t("explain_threshold", lang, combinations=_t("explain_or", lang).join(combos))


def explain(
    data: ScreeningData,
    context: Mapping[str, str],
    answers: Mapping[str, str],
    lang: str,
    *,
    interactions: int | None = None,
    steps: NextStepsFile | None = None,
    module: Mapping[str, str] | None = None,
) -> Explanation:
    """Explain the result of `answers` (as recorded, adaptive or full) in `lang` (th/en)."""
    result: ScreeningResult = score(data, context, answers)
    selection = select(data, context)
    questionnaire = data.questionnaire
    list_id = selection.list_id
    present = [i for i, a in answers.items() if a in data.rules.present_answers]
    state = dimension_state(data, list_id, present)
    labels = _dimension_labels(data, lang)
    asked: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for item in questionnaire.items_for(list_id):
        total[item.dimension] += 1
        asked[item.dimension] += item.id in answers
    reports = tuple(
        DimensionReport(
            d, labels[d], d in state.positive,
            tuple(Finding(i, questionnaire.item(i).label.get(lang),
                          questionnaire.item(i).strength[list_id])
                  for i in result.indicators.get(d, ())),
            asked[d], total[d],
        )
        for d in questionnaire.dimension_ids()
    )
    rules = data.rules
    index = [r.id for r in rules.results].index(result.category)
    chosen = rules.results[index].when[selection.profile]
    why = [_t("explain_holds", lang, condition=_held(chosen, state, context, data, lang))]
    for earlier in rules.results[:index]:
        failing = _failing(earlier.when[selection.profile], state, context)
        words = _t("explain_and", lang).join(_words(c, data, lang) for c in failing)
        why.append(_t("explain_not_met", lang, result=_t(f"result_{earlier.id}", lang),
                      condition=words))
    unasked = [f"{labels[d]} ({asked[d]}/{total[d]})"
               for d in questionnaire.dimension_ids() if asked[d] < total[d]]
    unknown = (_t("explain_unknown", lang, dimensions=", ".join(unasked)) if unasked
               else _t("explain_all_asked", lang))
    means = [d for d in questionnaire.dimension_ids()
             if d not in rules.presence_dimensions(selection.profile) and d != "exploitation"]
    child_note = None
    if selection.profile == "child":
        child_note = _t("explain_child_means", lang)
        not_asked = [labels[d] for d in means if asked[d] == 0]
        if not_asked:
            child_note += " " + _t("explain_child_not_asked", lang,
                                   dimensions=", ".join(not_asked))
    unknown_value = _t("explain_unknown_value", lang)
    nationality = context.get("nationality") or unknown_value
    province = context.get("province") or unknown_value
    profile_label = _t(f"profile_under_18_{context.get('under_18', 'not_sure')}", lang)
    chosen_steps = next_steps_for(result.category, context.get("province"), steps)
    step_texts = [step.text.get(lang) for step in chosen_steps.steps]
    if selection.profile == "child":
        step_texts.insert(1, _t("explain_child_step", lang))
    foreign = nationality.strip().casefold() not in THAI and nationality != unknown_value
    if foreign and not any(step.id == "interpreter" for step in chosen_steps.steps):
        step_texts.insert(len(step_texts) - 1, _t("explain_foreign_step", lang))
    list_label = next(lst.label.get(lang) for lst in questionnaire.lists if lst.id == list_id)
    module_words = None
    if module:
        catalogue_module = default_criminality()
        found_fc = [catalogue_module.item(i) for i, a in module.items() if a == "yes"]
        listed = "; ".join(f"{item.label.get(lang)} [{item.source}]" for item in found_fc)
        module_words = _t("explain_module", lang, indicators=listed or _t("practice_none", lang))
    return Explanation(
        lang=lang,
        category=result.category,
        result_label=_t(f"result_{result.category}", lang),
        wording=rules.wording[result.category].get(lang),
        profile=profile_label,
        list_label=list_label,
        dimensions=reports,
        threshold=threshold_words(data, lang),
        why=tuple(why),
        unknown=unknown,
        child_note=child_note,
        next_heading=_t("explain_next_for", lang, profile=profile_label,
                        nationality=nationality, province=province),
        next_steps=tuple(step_texts),
        disclaimer=rules.wording["disclaimer"].get(lang),
        interactions=interactions,
        module=module_words,
    )
