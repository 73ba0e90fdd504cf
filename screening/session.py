"""A screening conversation as a state machine the bot can drive (and store as JSON).

Context questions first, then the indicators: in list mode one question at a time in adaptive
order; in card mode (`screening.cards`) one card per dimension, where the officer ticks what
applies and answers the rest of the card with one tap, and age group and form of exploitation
are one tap ("profile"). `back` undoes the last step, `pause` serialises, `resume` restores,
`cancel` discards everything. Question text is in the officer's language; the plain version
for the person is available in the person's language on request, and in person mode
(`screening.person_mode`) the person answers `current_question` one at a time (`answer_one`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from content.catalogue import text as catalogue_text
from saphan.language import LANGUAGES
from screening.adaptive import AdaptivePlanner
from screening.cards import REST_ANSWERS, Card, next_card
from screening.criminality import MODULE, ModuleItem, default_criminality, wanted
from screening.loader import ScreeningData
from screening.person_mode import PersonModeState, record_marks
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
Mode = Literal["list", "card"]
StepKind = Literal["context", "indicator", "profile", "rest"]
PromptKind = Literal["context", "indicator", "profile", "card"]
PROFILE_KEYS = ("under_18", "exploitation_form")  # answered together in card mode
TICK_PREFIX = "tick:"
REST_PREFIX = "rest:"
PROFILE_PREFIX = "profile:"
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
    mode: Mode = "list"
    context: dict[str, str] = Field(default_factory=dict)
    answers: dict[str, str] = Field(default_factory=dict)
    history: list[tuple[StepKind, str]] = Field(default_factory=list)
    interactions: int = 0
    """Taps and messages that answered or went back (what the benchmark counts)."""
    module: dict[str, str] = Field(default_factory=dict)
    """Answers to the supplementary forced-criminality module (never part of the result)."""
    practice: str | None = None
    """A practice case id (`screening.practice`): the person is fictional, nothing is saved."""
    started_at: float | None = None
    """Unix time the screening started (practice feedback reports the time used)."""
    person_mode: PersonModeState | None = None
    """Set while and after the person answered on the phone (`screening.person_mode`)."""
    cohort: str | None = None
    """The training cohort a practice run counts for (`screening.practice_runs`)."""
    """Steps in order: a context answer, an indicator answer (list mode or a tick), the
    profile (both PROFILE_KEYS), or the rest of a card (the item ids, comma-separated)."""


@dataclass(frozen=True)
class CardLine:
    """One indicator on a card: its number on the card, short label, strength, and answer."""

    number: int
    item_id: str
    label: str
    strength: str
    answer: str | None


@dataclass(frozen=True)
class Prompt:
    """The question to ask now, in the officer's language, with its quick replies."""

    kind: PromptKind
    id: str
    text: str
    options: tuple[tuple[str, str], ...]
    """(answer id, label) quick replies; empty for a free-text answer."""
    number: int
    lines: tuple[CardLine, ...] = ()
    """A card's indicators (card prompts only); tick one with `tick:<number>`."""


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
        mode: Mode = "list",
        practice: str | None = None,
        started_at: float | None = None,
    ) -> ScreeningSession:
        session = cls(
            data,
            planner,
            SessionState(
                questionnaire_version=data.questionnaire.version, officer_lang=officer_lang,
                mode=mode, practice=practice, started_at=started_at,
            ),
        )
        session.set_person_language(person_lang)
        return session

    # ---- where are we ----------------------------------------------------------------------

    def _current(self) -> ContextQuestion | Item | Card | None:
        context = self.state.context
        for question in self.data.questionnaire.context:
            if question.id in context:
                continue
            if all(context.get(k) in values for k, values in (question.ask_if or {}).items()):
                return question
        module = self._module_card()
        if module is not None:
            return module
        if self.state.mode == "card":
            return next_card(self.planner, context, self.state.answers)
        return self.planner.next_item(context, self.state.answers)

    def _module_card(self) -> Card | None:
        """The forced-criminality card while it has open items (only for that form)."""
        if not wanted(self.state.context):
            return None
        items = default_criminality().items
        open_ids = tuple(i.id for i in items if i.id not in self.state.module)
        return Card(MODULE, items, open_ids) if open_ids else None

    def _target(self, item_id: str) -> dict[str, str]:
        """Where an indicator's answer lives: the module's answers or the ILO/EC answers."""
        return self.state.module if item_id.startswith("fc_") else self.state.answers

    def _asks_profile(self, current: ContextQuestion | Item | Card | None) -> bool:
        """Card mode asks age group and form of exploitation together, in one tap."""
        return (self.state.mode == "card" and isinstance(current, ContextQuestion)
                and current.id == PROFILE_KEYS[0]
                and not any(k in self.state.context for k in PROFILE_KEYS))

    def profile_options(self) -> tuple[tuple[str, str], ...]:
        """(payload, label) for every age group x form of exploitation."""
        lang = self.state.officer_lang
        ages, forms = (self.data.questionnaire.context_question(k) for k in PROFILE_KEYS)
        return tuple(
            (f"{PROFILE_PREFIX}{age.id}:{form.id}",
             f"{age_label} · {catalogue_text('screening', f'profile_form_{form.id}', lang)}")
            for age in ages.options
            for form in forms.options
            for age_label in (self._age_label(age.id, lang),)
        )

    def _age_label(self, age: str, lang: str) -> str:
        return catalogue_text("screening", f"profile_under_18_{age}", lang)

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
        number = len(self.state.history) + 1
        if self._asks_profile(current):
            return Prompt("profile", "profile", catalogue_text("screening", "profile_question",
                                                               lang),
                          self.profile_options(), number)
        if isinstance(current, Card):
            return self._card_prompt(current, number)
        if isinstance(current, Item):
            labels = self.data.questionnaire.answers
            options = tuple((a, labels[a].get(lang)) for a in ANSWER_IDS)
            kind: PromptKind = "indicator"
        else:
            options = tuple((o.id, o.label.get(lang)) for o in current.options)
            kind = "context"
        return Prompt(kind, current.id, current.officer.get(lang), options, number)

    def _card_prompt(self, card: Card, number: int) -> Prompt:
        lang = self.state.officer_lang
        list_id = select(self.data, self.state.context).list_id
        if card.dimension == MODULE:
            title = catalogue_text("screening", f"module_{MODULE}", lang)
        else:
            title = next(d.label.get(lang) for d in self.data.questionnaire.dimensions
                         if d.id == card.dimension)
        lines = tuple(
            CardLine(n, item.id, item.label.get(lang),
                     item.strength[list_id] if isinstance(item, Item) else "review",
                     self._target(item.id).get(item.id))
            for n, item in enumerate(card.items, 1)
        )
        options = tuple((f"{REST_PREFIX}{a}", catalogue_text("screening", f"card_rest_{a}", lang))
                        for a in REST_ANSWERS)
        return Prompt("card", card.dimension, title, options, number, lines)

    def person_text(self, lang: str | None = None) -> PersonText:
        """The plain-language version of the current question (a card: its open items,
        numbered as on the card) for the person."""
        self._require("active")
        current = self._current()
        if current is None:
            raise SessionError("the screening is complete; there is no question to show")
        wanted = lang or self.state.person_lang
        if isinstance(current, Card):
            parts = [(n, item.person.for_person(wanted)) for n, item in enumerate(current.items, 1)
                     if item.id in current.open]
            text = "\n".join(f"{n}. {shown}" for n, (shown, _, _) in parts)
            used = parts[0][1][1] if parts else wanted
            return PersonText(text, used, any(review for _, (_, _, review) in parts))
        text, used, review = current.person.for_person(wanted)
        return PersonText(text, used, review)

    # ---- actions ---------------------------------------------------------------------------

    def current_question(self) -> Item | ModuleItem | None:
        """The indicator to ask on its own now (a card's first open item), or None while a
        situation question is open or when the screening is complete (person mode)."""
        self._require("active")
        current = self._current()
        if self._asks_profile(current) or isinstance(current, ContextQuestion):
            return None
        if isinstance(current, Card):
            return next(i for i in current.items if i.id in current.open)
        return current

    def answer_one(self, value: str) -> None:
        """Answer `current_question` alone with an answer id (yes/no/not_sure/skip), recorded
        as one indicator step exactly like an officer's answer in either mode."""
        question = self.current_question()
        if question is None:
            raise SessionError("there is no indicator question to answer now")
        if value not in ANSWER_IDS:
            raise SessionError(f"please answer one of: {', '.join(ANSWER_IDS)}")
        self._target(question.id)[question.id] = value
        self.state.history.append(("indicator", question.id))
        self.state.interactions += 1

    def set_person_language(self, lang: str) -> None:
        if lang not in PERSON_LANGUAGES:
            raise SessionError(f"person language must be one of {', '.join(PERSON_LANGUAGES)}")
        self.state.person_lang = lang

    def answer(self, value: str) -> Prompt | None:
        """Answer the current question (answer id or its label; on a card `tick:<n>`, the
        numbers "2 5", or `rest:no|not_sure`; the profile `profile:<age>:<form>`); returns
        the next prompt."""
        self._require("active")
        current = self._current()
        if current is None:
            raise SessionError("the screening is complete; use back to change an answer")
        value = value.strip()
        if self._asks_profile(current):
            self._answer_profile(value)
        elif isinstance(current, Card):
            self._answer_card(current, value)
        elif isinstance(current, Item):
            labels = self.data.questionnaire.answers
            self.state.answers[current.id] = self._match(value, {a: labels[a] for a in ANSWER_IDS})
            self.state.history.append(("indicator", current.id))
        else:
            self.state.context[current.id] = self._context_value(current, value)
            self.state.history.append(("context", current.id))
        self.state.interactions += 1
        return self.prompt()

    def _answer_profile(self, value: str) -> None:
        options = dict(self.profile_options())
        wanted = value.casefold()
        for payload, label in options.items():
            if wanted in (payload.casefold(), label.casefold()):
                age, form = payload[len(PROFILE_PREFIX):].split(":")
                self.state.context.update(zip(PROFILE_KEYS, (age, form), strict=True))
                self.state.history.append(("profile", payload))
                return
        raise SessionError(f"please answer one of: {', '.join(options.values())}")

    def _answer_card(self, card: Card, value: str) -> None:
        lang = self.state.officer_lang
        for answer in REST_ANSWERS:
            label = catalogue_text("screening", f"card_rest_{answer}", lang)
            if value.casefold() in (f"{REST_PREFIX}{answer}", label.casefold()):
                for item_id in card.open:
                    self._target(item_id)[item_id] = answer
                self.state.history.append(("rest", ",".join(card.open)))
                return
        numbers = value[len(TICK_PREFIX):] if value.startswith(TICK_PREFIX) else value
        try:
            chosen = [card.item_at(int(n)) for n in numbers.replace(",", " ").split()]
        except (ValueError, IndexError):
            raise SessionError(
                f"tick the numbers 1 to {len(card.items)} that apply, or answer the rest of "
                "the card"
            ) from None
        if not chosen:
            raise SessionError("tick what applies, or answer the rest of the card")
        for item in chosen:
            if self._target(item.id).get(item.id) == "yes":
                continue  # ticked already
            if item.id not in card.open or not self._still_on(card):
                break  # the card closed (its dimension is settled): later ticks are moot
            self._target(item.id)[item.id] = "yes"
            self.state.history.append(("indicator", item.id))

    def _still_on(self, card: Card) -> bool:
        current = self._current()
        return isinstance(current, Card) and current.dimension == card.dimension

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
        """Undo the last step so that its question (or card) is asked again."""
        self._require("active")
        if not self.state.history:
            raise SessionError("nothing to go back to")
        kind, step = self.state.history.pop()
        self.state.interactions += 1
        if kind == "profile":
            for key in PROFILE_KEYS:
                self.state.context.pop(key, None)
        elif kind == "rest":
            for item_id in step.split(","):
                del self._target(item_id)[item_id]
        elif kind == "indicator":
            del self._target(step)[step]
        else:
            del self.state.context[step]
        return self.prompt()

    def set_mode(self, mode: Mode) -> None:
        """Switch between cards and one-by-one questions (before any indicator is answered)."""
        self._require("active")
        if self.state.answers:
            raise SessionError("the mode can only change before the first indicator")
        self.state.mode = mode

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
        replay = SessionState(questionnaire_version=stored.questionnaire_version,
                              officer_lang=stored.officer_lang, mode=stored.mode,
                              interactions=stored.interactions, practice=stored.practice,
                              started_at=stored.started_at)
        probe = ScreeningSession(self.data, self.planner, replay)
        try:
            for kind, step in stored.history:
                probe._replay(kind, step, stored)
        except (KeyError, ScreeningInputError) as exc:
            raise SessionError(f"stored answers do not follow the questionnaire: {exc}") from None
        if (replay.context, replay.answers, replay.module) != (stored.context, stored.answers,
                                                                stored.module):
            raise SessionError("stored answers do not follow the questionnaire")

    def _replay(self, kind: str, step: str, stored: SessionState) -> None:
        """Apply one stored step if it is what this session would ask now."""
        current = self._current()
        state = self.state
        if kind == "profile" and self._asks_profile(current):
            state.context.update((k, stored.context[k]) for k in PROFILE_KEYS)
        elif kind == "context" and isinstance(current, ContextQuestion) and current.id == step:
            state.context[step] = stored.context[step]
        elif kind == "indicator" and (
            (isinstance(current, Item) and current.id == step)
            or (isinstance(current, Card) and step in current.open)
        ):
            self._target(step)[step] = stored.module[step] if step in stored.module \
                else stored.answers[step]
        elif kind == "rest" and isinstance(current, Card) and set(step.split(",")) == set(
            current.open
        ):
            for item_id in current.open:
                self._target(item_id)[item_id] = (stored.module | stored.answers)[item_id]
        else:
            raise SessionError("stored answers do not follow the questionnaire")
        state.history.append((kind, step))  # type: ignore[arg-type]

    # ---- outcome ---------------------------------------------------------------------------

    def result(self) -> ScreeningResult:
        """The ILO/EC result, with the supplementary module's answers beside it."""
        if not self.is_done:
            raise SessionError("the screening is not complete")
        result = score(self.data, self.state.context, self.state.answers)
        return replace(result, module=dict(self.state.module)) if self.state.module else result

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
        if self.state.practice is not None:
            raise SessionError("a practice screening is never recorded")
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
            **record_marks(self.state.person_mode),
        )
