"""Schema of the indicator questionnaire (`data/questionnaire.yml`), validated at load."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from saphan.language import PARTIAL_LANGUAGES

Strength = Literal["strong", "medium", "weak"]
AnswerId = Literal["yes", "no", "not_sure", "skip"]
ANSWER_IDS: tuple[AnswerId, ...] = ("yes", "no", "not_sure", "skip")
STRENGTHS: tuple[Strength, ...] = ("strong", "medium", "weak")
REVIEW_LANGUAGES = PARTIAL_LANGUAGES  # person texts there are drafts until reviewed

_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    """Text in English and Thai."""

    en: str = Field(min_length=1)
    th: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        """The text in `lang` (th/en), English for any other language."""
        return self.th if lang == "th" else self.en


class DraftText(_Strict):
    """A machine-drafted translation: must say whether it still needs review."""

    text: str = Field(min_length=1)
    review: bool


class PersonText(Bilingual):
    """Plain-language text shown or read to the person; my/km/lo are drafts needing review."""

    my: DraftText | None = None
    km: DraftText | None = None
    lo: DraftText | None = None

    def for_person(self, lang: str) -> tuple[str, str, bool]:
        """(text, language actually used, needs_review) for the person's language."""
        if lang in ("en", "th"):
            return self.get(lang), lang, False
        draft = getattr(self, lang, None) if lang in REVIEW_LANGUAGES else None
        if draft is None:
            return self.en, "en", False
        return draft.text, lang, draft.review


class Dimension(_Strict):
    id: str = Field(pattern=_ID)
    number: int = Field(ge=1)
    label: Bilingual


class IndicatorList(_Strict):
    id: str = Field(pattern=_ID)
    label: Bilingual


class Option(_Strict):
    id: str = Field(pattern=_ID)
    label: Bilingual


class ContextQuestion(_Strict):
    """A question about the situation, asked before the indicators."""

    id: str = Field(pattern=_ID)
    kind: Literal["choice", "text"]
    officer: Bilingual
    person: PersonText
    options: tuple[Option, ...] = ()
    ask_if: dict[str, tuple[str, ...]] | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _options_match_kind(self) -> ContextQuestion:
        if self.kind == "choice" and not self.options:
            raise ValueError(f"context question {self.id!r} is a choice without options")
        if self.kind == "text" and self.options:
            raise ValueError(f"context question {self.id!r} is free text but has options")
        return self

    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)


class Item(_Strict):
    """One ILO/EC indicator with its grading in each list it belongs to."""

    id: str = Field(pattern=_ID)
    dimension: str
    strength: dict[str, Strength] = Field(min_length=1)
    verified: bool
    label: Bilingual
    """Short name for cards and results (the question text is never shown as a finding)."""
    officer: Bilingual
    person: PersonText
    source: str = Field(min_length=1)
    htcds_methods_of_control: tuple[str, ...] = ()


class Questionnaire(_Strict):
    """The whole questionnaire file."""

    version: str = Field(min_length=1)
    source: str = Field(min_length=1)
    answers: dict[AnswerId, Bilingual]
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    lists: tuple[IndicatorList, ...] = Field(min_length=1)
    context: tuple[ContextQuestion, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Questionnaire:
        missing = [a for a in ANSWER_IDS if a not in self.answers]
        if missing:
            raise ValueError(f"answers: missing labels for {', '.join(missing)}")
        for kind, entries in (
            ("dimensions", self.dimensions),
            ("lists", self.lists),
            ("context", self.context),
            ("items", self.items),
        ):
            seen: set[str] = set()
            for entry in entries:
                if entry.id in seen:
                    raise ValueError(f"{kind}: duplicate id {entry.id!r}")
                seen.add(entry.id)
        dimensions = {d.id for d in self.dimensions}
        lists = {lst.id for lst in self.lists}
        for index, item in enumerate(self.items):
            where = f"items[{index}] (id {item.id!r})"
            if item.dimension not in dimensions:
                raise ValueError(
                    f"{where}.dimension: unknown dimension {item.dimension!r}; "
                    f"known: {', '.join(sorted(dimensions))}"
                )
            unknown = sorted(set(item.strength) - lists)
            if unknown:
                raise ValueError(f"{where}.strength: unknown list(s) {', '.join(unknown)}")
        for lst in self.lists:
            if not self.items_for(lst.id):
                raise ValueError(f"lists: list {lst.id!r} has no items")
        earlier: dict[str, ContextQuestion] = {}
        for question in self.context:
            for ref, values in (question.ask_if or {}).items():
                target = earlier.get(ref)
                if target is None:
                    raise ValueError(
                        f"context {question.id!r}.ask_if: {ref!r} is not an earlier "
                        "context question"
                    )
                bad = sorted(set(values) - set(target.option_ids()))
                if bad:
                    raise ValueError(
                        f"context {question.id!r}.ask_if: {ref!r} has no option(s) {', '.join(bad)}"
                    )
            earlier[question.id] = question
        return self

    def items_for(self, list_id: str) -> tuple[Item, ...]:
        """Items of one list, in file order."""
        return tuple(item for item in self.items if list_id in item.strength)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"unknown indicator {item_id!r}")

    def context_question(self, question_id: str) -> ContextQuestion:
        for question in self.context:
            if question.id == question_id:
                return question
        raise KeyError(f"unknown context question {question_id!r}")

    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)
