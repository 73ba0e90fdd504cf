"""Practice mode for training officers: fictional cases (`data/practice_cases.yml`) the bot
plays, and feedback at the end. Practice screenings are never saved as screening records and
every message about them says "practice"; the feedback of a finished run is kept for the
trainer's cohort view (`screening.practice_runs`).

A case is checked at load: its indicators exist in its list, its expected result is what the
ILO/EC rule gives for its context and ground truth, so the feedback can never teach a wrong
answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from content.catalogue import text as catalogue_text
from screening.errors import ScreeningDataError
from screening.loader import DATA_DIR, ScreeningData, default_screening, load_model
from screening.next_steps import next_steps_for
from screening.questionnaire import Bilingual
from screening.scoring import check_answers, score, select

PRACTICE_FILE = DATA_DIR / "practice_cases.yml"
PRACTICE_PREFIX = "practice:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Review(_Strict):
    state: Literal["draft", "reviewed"]
    by: str
    date: str


class PracticeCase(_Strict):
    """One fictional person: who, the story, the context, the ground truth, the expected
    result (checked against the rule at load)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Bilingual
    persona: Bilingual
    story: Bilingual
    context: dict[str, str]
    truth: dict[str, Literal["yes", "not_sure"]]
    says: dict[str, Bilingual] = Field(default_factory=dict)
    expected: str
    note: Bilingual | None = None

    def answer(self, item_id: str) -> str:
        """What the person answers to an indicator: yes, not sure, or no."""
        return self.truth.get(item_id, "no")

    def sheet(self, data: ScreeningData) -> dict[str, str]:
        """The full answer sheet of the case's list."""
        list_id = select(data, self.context).list_id
        return {item.id: self.answer(item.id) for item in data.questionnaire.items_for(list_id)}


class PracticeFile(_Strict):
    version: str
    review: Review
    cases: tuple[PracticeCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PracticeFile:
        ids = [case.id for case in self.cases]
        if len(set(ids)) != len(ids):
            raise ValueError("cases: duplicate ids")
        return self

    def case(self, case_id: str) -> PracticeCase:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(f"unknown practice case {case_id!r}")

    def check_against(self, data: ScreeningData) -> None:
        """Every case fits the questionnaire and its expected result is the rule's."""
        for case in self.cases:
            where = f"case {case.id!r}"
            for key, value in case.context.items():
                question = data.questionnaire.context_question(key)
                if question.kind == "choice" and value not in question.option_ids():
                    raise ValueError(f"{where}: context {key} has no option {value!r}")
            list_id = select(data, case.context).list_id
            check_answers(data, list_id, case.truth)
            unknown = sorted(set(case.says) - set(case.truth))
            if unknown:
                raise ValueError(f"{where}: says for indicators not in truth: {unknown}")
            got = score(data, case.context, case.sheet(data)).category
            if got != case.expected:
                raise ValueError(f"{where}: expected {case.expected!r} but the rule gives {got!r}")


def load_practice(path: Path = PRACTICE_FILE, data: ScreeningData | None = None) -> PracticeFile:
    cases = load_model(path, PracticeFile)
    try:
        cases.check_against(data or default_screening())
    except (ValueError, KeyError) as exc:
        raise ScreeningDataError(f"{path}: {exc}") from None
    return cases


@cache
def default_practice() -> PracticeFile:
    return load_practice()


@dataclass(frozen=True)
class Feedback:
    """How a practice screening went, against the case's ground truth."""

    case_id: str
    result: str
    expected: str
    missed: tuple[str, ...]
    """Indicators the person would say "yes" to, recorded otherwise (asked but not ticked)."""
    wrong: tuple[str, ...]
    """Indicators recorded "yes" the person would not say "yes" to."""
    not_asked: tuple[str, ...]
    """True indicators never asked (they could not change the result)."""
    context_errors: tuple[str, ...]
    interactions: int
    seconds: int | None
    expected_steps: tuple[str, ...]

    @property
    def right_result(self) -> bool:
        return self.result == self.expected


def feedback(data: ScreeningData, case: PracticeCase, context: Mapping[str, str],
             answers: Mapping[str, str], interactions: int,
             seconds: int | None = None) -> Feedback:
    """Compare a finished practice screening with the case."""
    result = score(data, context, answers).category
    truth_yes = {i for i, a in case.truth.items() if a == "yes"}
    recorded_yes = {i for i, a in answers.items() if a == "yes"}
    order = [item.id for item in data.questionnaire.items]
    context_errors = tuple(key for key in ("under_18", "exploitation_form", "moved_or_recruited",
                                           "sector")
                           if key in case.context and context.get(key) != case.context[key])
    return Feedback(
        case_id=case.id,
        result=result,
        expected=case.expected,
        missed=tuple(i for i in order if i in truth_yes and i in answers and i not in recorded_yes),
        wrong=tuple(i for i in order if i in recorded_yes and i not in truth_yes),
        not_asked=tuple(i for i in order if i in truth_yes and i not in answers),
        context_errors=context_errors,
        interactions=interactions,
        seconds=seconds,
        expected_steps=tuple(s.id for s in next_steps_for(case.expected, None).steps),
    )


def render_feedback(data: ScreeningData, case: PracticeCase, fb: Feedback, lang: str) -> str:
    """The feedback message (officer language), marked as practice."""
    def t(key: str, **values: object) -> str:
        return catalogue_text("screening", key, lang, **values)

    def labels(ids: tuple[str, ...]) -> str:
        return "; ".join(data.questionnaire.item(i).label.get(lang) for i in ids) or t(
            "practice_none")

    questions = {q.id: q.officer.get(lang) for q in data.questionnaire.context}
    lines = [t("practice_marker"), t("practice_feedback_heading", title=case.title.get(lang)),
             t("practice_result_right" if fb.right_result else "practice_result_wrong",
               result=t(f"result_{fb.result}"), expected=t(f"result_{fb.expected}")),
             t("practice_missed", indicators=labels(fb.missed)),
             t("practice_wrong", indicators=labels(fb.wrong)),
             t("practice_not_asked", indicators=labels(fb.not_asked))]
    if fb.context_errors:
        lines.append(t("practice_context_errors",
                       questions="; ".join(questions[k] for k in fb.context_errors)))
    steps = next_steps_for(fb.expected, None).steps
    lines.append(t("practice_expected_steps"))
    lines += [f"{n}. {step.text.get(lang)}" for n, step in enumerate(steps, 1)]
    if case.note is not None:
        lines.append(case.note.get(lang))
    minutes = "" if fb.seconds is None else t("practice_minutes", minutes=round(fb.seconds / 60, 1))
    lines.append(t("practice_taps", count=fb.interactions) + minutes)
    return "\n".join(lines)


def person_says(data: ScreeningData, case: PracticeCase, item_ids: list[tuple[int, str]],
                lang: str) -> str:
    """What the fictional person answers to the numbered indicators (a card or one question):
    "yes" and "not sure" answers one by one (with the person's words when the case has them),
    then "no" for the others."""
    def t(key: str, **values: object) -> str:
        return catalogue_text("screening", key, lang, **values)

    labels = data.questionnaire.answers
    lines = []
    for number, item_id in item_ids:
        answer = case.answer(item_id)
        if answer == "no":
            continue
        said = case.says.get(item_id)
        quote = f" «{said.get(lang)}»" if said else ""
        lines.append(f"{number}. {labels[answer].get(lang)}{quote}")  # type: ignore[index]
    if len(lines) < len(item_ids):
        lines.append(t("practice_others_no") if lines else t("practice_all_no"))
    return "\n".join([t("practice_says", persona=case.persona.get(lang)), *lines])
