"""Person-facing screening in LINE (`screening.person_mode`): the person's screens, their taps,
and the note for the officer's result. Every screen while the person has the phone is in the
person's language and shows nothing of the officer's view; a reply that is no person-mode tap
(typed words, a tap on an older card) only repeats the card with a hint.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.screening_cards import audio_message, give_back_message, person_card_message
from content.catalogue import text as catalogue_text
from saphan.language import language_name
from screening import person_mode
from screening.audio_clips import default_clips
from screening.session import ScreeningSession, SessionError

HANDOVER = "handover"  # the officer's button: choose the person's language
HANDOVER_PREFIX = "handover:"  # + language: the person gets the phone
PERSON_MODE_PREFIX = "pm:"  # the person's taps (and the officer's "continue") in person mode


def send_person_screen(dispatcher: CollectingDispatcher, session: ScreeningSession) -> None:
    """What the person sees: a greeting on the first card, the question's recording if the
    deployment has one, the question card; at the end "give the phone back"."""
    mode = session.state.person_mode
    if mode is None:  # not in person mode: nothing to show or take
        return
    shown = person_mode.card(session)
    if shown is None:
        dispatcher.utter_message(json_message=give_back_message(
            mode.lang, session.state.officer_lang, person_mode.DONE_KEY,
            f"{PERSON_MODE_PREFIX}officer"))
        return
    if shown.first:
        dispatcher.utter_message(text=catalogue_text(person_mode.NAMESPACE, person_mode.INTRO_KEY,
                                                     mode.lang))
    clip = default_clips().clip(shown.question_id, shown.lang)
    if clip is not None:
        dispatcher.utter_message(json_message=audio_message(clip))
    dispatcher.utter_message(json_message=person_card_message(shown, mode.lang,
                                                              PERSON_MODE_PREFIX))


def person_reply(dispatcher: CollectingDispatcher, session: ScreeningSession, text: str) -> None:
    """A reply while the person has the phone: an answer, "give the phone back", the officer's
    "continue"; anything else (or a tap on an older card) gets a hint in the person's
    language, never an officer text."""
    mode = session.state.person_mode
    if mode is None:  # not in person mode: nothing to show or take
        return
    tap = text[len(PERSON_MODE_PREFIX):] if text.startswith(PERSON_MODE_PREFIX) else ""
    value, _, question_id = tap.partition(":")
    try:
        if tap == "officer":
            person_mode.take_back(session)
            lang = session.state.officer_lang
            dispatcher.utter_message(text=catalogue_text(
                "screening", "handover_returned", lang, count=person_mode.answered(session),
                language=language_name(mode.lang, lang)))
        elif tap == "give_back":
            person_mode.give_back(session)
        elif value in person_mode.ANSWERS and question_id:
            person_mode.answer(session, value, question_id)
        else:
            raise person_mode.PersonModeError("not a person-mode tap")
    except (person_mode.PersonModeError, SessionError):
        dispatcher.utter_message(text=catalogue_text(person_mode.NAMESPACE, person_mode.HINT_KEY,
                                                     mode.lang))


def handover_note(session: ScreeningSession) -> str | None:
    """For the officer's result: the person answered through unreviewed drafts."""
    mode = session.state.person_mode
    count = person_mode.drafts_used(session)
    if mode is None or not count:
        return None
    lang = session.state.officer_lang
    return catalogue_text("screening", "handover_drafts", lang, count=count,
                          language=language_name(mode.lang, lang))
