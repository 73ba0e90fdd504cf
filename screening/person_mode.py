"""Person-facing mode: the officer hands the phone to the person being screened.

The officer picks the person's language; the person then sees one indicator question per card,
in plain words in that language, with yes / no / not sure / skip and "give the phone back".
Nothing of the officer's view is shown (no indicator names, strengths, scores or result). When
the questions end, or the person gives the phone back early, the person is asked to return
the phone, and only a tap by the officer ends the mode; the officer then sees the result (or
the next officer prompt) in the officer's language.

Every answer is recorded by the session's own step (`ScreeningSession.answer_one`), exactly
as in officer mode, so the result equals the full list's. The mode remembers which texts the
person answered through that are unreviewed drafts (question texts in my/km/lo, the screen's
own texts in `content/texts/bot.yml`) so that the officer's result can say so.

Framework-free: the state is `SessionState.person_mode`; the adapters render `PersonCard`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from content.catalogue import review
from saphan.language import LANGUAGES

if TYPE_CHECKING:
    from screening.session import ScreeningSession

Phase = Literal["asking", "give_back", "returned"]
ANSWERS = ("yes", "no", "not_sure", "skip")
NAMESPACE = "bot"  # the screen's texts reach the person: all five languages, review states
ANSWER_KEYS = {answer: f"screening_person_{answer}" for answer in ANSWERS}
INTRO_KEY = "screening_person_intro"
GIVE_BACK_KEY = "screening_person_give_back"
DONE_KEY = "screening_person_done"
HINT_KEY = "screening_person_hint"
CARD_KEYS = (*ANSWER_KEYS.values(), GIVE_BACK_KEY)  # on every question card


class PersonModeError(ValueError):
    """A step that does not fit person mode (wrong phase, unknown answer or language)."""


class PersonModeState(BaseModel):
    """Person mode of one screening (stored inside the session state)."""

    model_config = ConfigDict(extra="forbid")

    lang: str
    phase: Phase = "asking"
    answered: list[str] = Field(default_factory=list)
    """Questions the person answered (ids), in order, over every hand-over."""
    since: int = 0
    """How many of `answered` came before this hand-over (its first card greets the person)."""
    drafts: list[str] = Field(default_factory=list)
    """Texts the person answered through that are unreviewed drafts (`question:<id>`,
    `text:<key>`), each once."""


@dataclass(frozen=True)
class PersonCard:
    """The question for the person now: its id (for the audio clip), plain text, the language
    it is in (a missing draft falls back to English), and whether it is the first card."""

    question_id: str
    text: str
    lang: str
    first: bool
    needs_review: bool


def holding(session: ScreeningSession) -> bool:
    """Whether the person has the phone (only the person-mode taps count then)."""
    mode = session.state.person_mode
    return mode is not None and mode.phase != "returned"


def can_hand_over(session: ScreeningSession) -> bool:
    """The phone can go to the person once the situation questions are answered, while
    indicator questions remain, in a real (not practice) screening."""
    state = session.state
    return (state.status == "active" and state.practice is None and not holding(session)
            and session.current_question() is not None)


def hand_over(session: ScreeningSession, lang: str) -> None:
    """Start person mode in `lang` (answers and drafts of an earlier hand-over are kept)."""
    if lang not in LANGUAGES:
        raise PersonModeError(f"the person's language must be one of {', '.join(LANGUAGES)}")
    if not can_hand_over(session):
        raise PersonModeError("the phone can be handed over once the situation questions are "
                              "answered and while questions remain (never in practice)")
    earlier = session.state.person_mode
    session.set_person_language(lang)
    before = earlier.answered if earlier else []
    session.state.person_mode = PersonModeState(
        lang=lang, answered=before, since=len(before), drafts=earlier.drafts if earlier else [])


def card(session: ScreeningSession) -> PersonCard | None:
    """The question card to show the person, or None once they are to give the phone back."""
    mode = _mode(session)
    question = session.current_question() if mode.phase == "asking" else None
    if question is None:
        return None
    text, used, needs_review = question.person.for_person(mode.lang)
    first = len(mode.answered) == mode.since
    return PersonCard(question.id, text, used, first, needs_review)


def answer(session: ScreeningSession, value: str, question_id: str | None = None) -> None:
    """Record the person's answer to the current card (when `question_id` is given, only if
    that is the card shown now: a tap on an older card answers nothing); at the end, ask for
    the phone back."""
    mode = _mode(session)
    shown = card(session)
    if shown is None:
        raise PersonModeError("there is no question to answer: give the phone back")
    if question_id is not None and question_id != shown.question_id:
        raise PersonModeError("that card is no longer the current question")
    if value not in ANSWERS:
        raise PersonModeError(f"answer one of {', '.join(ANSWERS)}")
    session.answer_one(value)
    mode.answered.append(shown.question_id)
    used = [f"text:{key}" for key in CARD_KEYS if _is_draft(key, mode.lang)]
    if shown.first and _is_draft(INTRO_KEY, mode.lang):
        used.append(f"text:{INTRO_KEY}")
    if shown.needs_review:
        used.append(f"question:{shown.question_id}")
    mode.drafts.extend(u for u in dict.fromkeys(used) if u not in mode.drafts)
    if session.current_question() is None:
        mode.phase = "give_back"


def give_back(session: ScreeningSession) -> None:
    """The person tapped "give the phone back" (or the questions ended)."""
    _mode(session).phase = "give_back"


def take_back(session: ScreeningSession) -> None:
    """The officer has the phone again: the officer's view returns."""
    mode = _mode(session)
    if mode.phase != "give_back":
        raise PersonModeError("the person still has the phone: they give it back first")
    mode.phase = "returned"


def answered(session: ScreeningSession) -> int:
    mode = session.state.person_mode
    return len(mode.answered) if mode else 0


def drafts_used(session: ScreeningSession) -> int:
    """How many unreviewed draft texts the person answered through (0: none or no person
    mode)."""
    mode = session.state.person_mode
    return len(mode.drafts) if mode else 0


def record_marks(mode: PersonModeState | None) -> dict[str, Any]:
    """What the screening record keeps of person mode (`ScreeningRecord` fields): whether the
    person answered any question themselves, in which language (the last hand-over's), and
    whether any text they answered through was an unreviewed draft."""
    if mode is None or not mode.answered:
        return {"answered_by": "officer", "person_language": None, "drafts_shown": False}
    return {"answered_by": "person", "person_language": mode.lang,
            "drafts_shown": bool(mode.drafts)}


def _mode(session: ScreeningSession) -> PersonModeState:
    mode = session.state.person_mode
    if mode is None or mode.phase == "returned":
        raise PersonModeError("the person does not have the phone")
    return mode


def _is_draft(key: str, lang: str) -> bool:
    return review(NAMESPACE, key, lang).state != "reviewed"
