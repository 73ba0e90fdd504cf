"""A screening conversation as a state machine the bot can drive (and store as JSON).

Context questions first, then indicator questions one at a time in adaptive order. `back`
undoes the last answer (its question is asked again), `pause` serialises, `resume` restores,
`cancel` discards everything. Question text is in the officer's language; the plain version
for the person is available in the person's language on request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from saphan.language import LANGUAGES
from screening.adaptive import AdaptivePlanner
from screening.loader import ScreeningData
from screening.questionnaire import ANSWER_IDS, Bilingual, ContextQuestion, Item
from screening.records import ScreeningRecord
from screening.scoring import (
    ScreeningInputError,
    ScreeningResult,
    check_answers,
    describe,
    score,
    select,
)

OfficerLanguage = Literal["th", "en"]
PERSON_LANGUAGES = LANGUAGES  # the person may read any language Saphan speaks
MAX_TEXT_ANSWER = 80


class SessionError(ValueError):
    """An action that does not fit the session (bad answer, wrong state, stale data)."""


class SessionState(BaseModel):
    """Everything needed to resume a screening; no names or free-text notes."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    questionnaire_version: str
    officer_lang: OfficerLanguage = "th"
    person_lang: str = "th"
    status: Literal["active", "paused", "cancelled"] = "active"
    context: dict[str, str] = Field(default_factory=dict)
    answers: dict[str, str] = Field(default_factory=dict)
    history: list[tuple[Literal["context", "indicator"], str]] = Field(default_factory=list)


@dataclass(frozen=True)
class Prompt:
    """The question to ask now, in the officer's language, with its quick replies."""

    kind: Literal["context", "indicator"]
    id: str
    text: str
    options: tuple[tuple[str, str], ...]
    """(answer id, label) quick replies; empty for a free-text answer."""
    number: int


@dataclass(frozen=True)
class PersonText:
    text: str
    lang: str
    needs_review: bool


class ScreeningSession:
    """One officer's screening of one person."""

    def __init__(self, data: ScreeningData, planner: AdaptivePlanner, state: SessionState) -> None:
        self.data = data
        self.planner = planner
        self.state = state

    @classmethod
    def start(
        cls,
        data: ScreeningData,
        planner: AdaptivePlanner,
        officer_lang: OfficerLanguage = "th",
        person_lang: str = "th",
    ) -> ScreeningSession:
        session = cls(
            data,
            planner,
            SessionState(
                questionnaire_version=data.questionnaire.version, officer_lang=officer_lang
            ),
        )
        session.set_person_language(person_lang)
        return session

    # ---- where are we ----------------------------------------------------------------------

    def _current(self) -> ContextQuestion | Item | None:
        context = self.state.context
        for question in self.data.questionnaire.context:
            if question.id in context:
                continue
            if all(context.get(k) in values for k, values in (question.ask_if or {}).items()):
                return question
        return self.planner.next_item(context, self.state.answers)

    def _require(self, *statuses: str) -> None:
        if self.state.status not in statuses:
            raise SessionError(f"the screening is {self.state.status}")

    @property
    def is_done(self) -> bool:
        return self.state.status == "active" and self._current() is None

    def prompt(self) -> Prompt | None:
        """The current question, or None when the screening is complete."""
        self._require("active")
        current = self._current()
        if current is None:
            return None
        lang = self.state.officer_lang
        if isinstance(current, Item):
            labels = self.data.questionnaire.answers
            options = tuple((a, labels[a].get(lang)) for a in ANSWER_IDS)
            kind: Literal["context", "indicator"] = "indicator"
        else:
            options = tuple((o.id, o.label.get(lang)) for o in current.options)
            kind = "context"
        return Prompt(
            kind, current.id, current.officer.get(lang), options, len(self.state.history) + 1
        )

    def person_text(self, lang: str | None = None) -> PersonText:
        """The plain-language version of the current question for the person."""
        self._require("active")
        current = self._current()
        if current is None:
            raise SessionError("the screening is complete; there is no question to show")
        text, used, review = current.person.for_person(lang or self.state.person_lang)
        return PersonText(text, used, review)

    # ---- actions ---------------------------------------------------------------------------

    def set_person_language(self, lang: str) -> None:
        if lang not in PERSON_LANGUAGES:
            raise SessionError(f"person language must be one of {', '.join(PERSON_LANGUAGES)}")
        self.state.person_lang = lang

    def answer(self, value: str) -> Prompt | None:
        """Answer the current question (answer id or its label); returns the next prompt."""
        self._require("active")
        current = self._current()
        if current is None:
            raise SessionError("the screening is complete; use back to change an answer")
        value = value.strip()
        if isinstance(current, Item):
            labels = self.data.questionnaire.answers
            self.state.answers[current.id] = self._match(value, {a: labels[a] for a in ANSWER_IDS})
            self.state.history.append(("indicator", current.id))
        else:
            self.state.context[current.id] = self._context_value(current, value)
            self.state.history.append(("context", current.id))
        return self.prompt()

    @staticmethod
    def _match(value: str, choices: dict[str, Bilingual]) -> str:
        wanted = value.casefold()
        for choice_id, label in choices.items():
            if wanted in (choice_id.casefold(), label.en.casefold(), label.th.casefold()):
                return choice_id
        raise SessionError(f"please answer one of: {', '.join(choices)}")

    def _context_value(self, question: ContextQuestion, value: str) -> str:
        if question.kind == "choice":
            return self._match(value, {o.id: o.label for o in question.options})
        if not value or len(value) > MAX_TEXT_ANSWER:
            raise SessionError(f"{question.id}: answer with 1 to {MAX_TEXT_ANSWER} characters")
        return value

    def back(self) -> Prompt | None:
        """Undo the last answer so that its question is asked again."""
        self._require("active")
        if not self.state.history:
            raise SessionError("nothing to go back to")
        kind, question_id = self.state.history.pop()
        target = self.state.answers if kind == "indicator" else self.state.context
        del target[question_id]
        return self.prompt()

    def cancel(self) -> None:
        """Discard the screening: every answer is dropped."""
        self._require("active", "paused")
        self.state.context.clear()
        self.state.answers.clear()
        self.state.history.clear()
        self.state.status = "cancelled"

    def pause(self) -> str:
        """Pause and return the JSON to store; resume with `ScreeningSession.resume`."""
        self._require("active")
        self.state.status = "paused"
        return self.state.model_dump_json()

    @classmethod
    def resume(
        cls, data: ScreeningData, planner: AdaptivePlanner, payload: str
    ) -> ScreeningSession:
        """Restore a paused screening; refuses stale or damaged state with a clear error."""
        try:
            state = SessionState.model_validate_json(payload)
        except ValidationError as exc:
            raise SessionError(
                f"stored screening is damaged: {exc.error_count()} problem(s)"
            ) from None
        if state.status != "paused":
            raise SessionError(
                f"only a paused screening can be resumed (this one is {state.status})"
            )
        if state.questionnaire_version != data.questionnaire.version:
            raise SessionError(
                f"this screening used questionnaire {state.questionnaire_version}; the current one "
                f"is {data.questionnaire.version}. Please start a new screening."
            )
        session = cls(data, planner, state)
        session._check_replay()
        state.status = "active"
        return session

    def _check_replay(self) -> None:
        """The stored answers must be exactly those the questions would have asked."""
        stored = self.state
        replay = SessionState(questionnaire_version=stored.questionnaire_version)
        probe = ScreeningSession(self.data, self.planner, replay)
        try:
            for kind, question_id in stored.history:
                prompt = probe.prompt()
                if prompt is None or (prompt.kind, prompt.id) != (kind, question_id):
                    raise SessionError("stored answers do not follow the questionnaire")
                source = stored.answers if kind == "indicator" else stored.context
                probe.answer(source[question_id])
        except (KeyError, ScreeningInputError) as exc:
            raise SessionError(f"stored answers do not follow the questionnaire: {exc}") from None
        if replay.context != stored.context or replay.answers != stored.answers:
            raise SessionError("stored answers do not follow the questionnaire")

    # ---- outcome ---------------------------------------------------------------------------

    def result(self) -> ScreeningResult:
        if not self.is_done:
            raise SessionError("the screening is not complete")
        return score(self.data, self.state.context, self.state.answers)

    @property
    def stopped_early(self) -> bool:
        """Whether questions stopped before the whole list (the result could not change)."""
        list_id = select(self.data, self.state.context).list_id
        return len(self.state.answers) < len(self.data.questionnaire.items_for(list_id))

    def summary(self) -> str:
        """Officer-facing result text (never a verdict)."""
        return describe(
            self.data, self.result(), self.state.officer_lang, stopped_early=self.stopped_early
        )

    def record(self, officer_id: str, agency: str) -> ScreeningRecord:
        result = self.result()
        check_answers(self.data, result.list_id, self.state.answers)
        return ScreeningRecord(
            officer_id=officer_id,
            agency=agency,
            questionnaire_version=self.state.questionnaire_version,
            context=dict(self.state.context),
            answers=dict(self.state.answers),
            result=result,
            stopped_early=self.stopped_early,
        )
