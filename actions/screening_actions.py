"""Officer screening in Rasa: enrollment, the screening form, result with NRM next steps and
directory options, one-tap referral to a caseworker.

Screening runs only on `officer` channels (gateway metadata `audience`) and only for enrolled
officers. The session (`screening.session`) lives as JSON in the slot `screening_state`, so
a paused or interrupted screening resumes with `start_screening`. Every officer reply inside
the form lands in `screening_reply` and is handled by `validate_screening_form`. While the
person has the phone (`screening.person_mode`) only the person-mode taps count and every
reply is the person's screen in the person's language.
"""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import latest_metadata, user_language
from actions.screening_cards import card_message, handover_menu
from actions.screening_person import (
    HANDOVER,
    HANDOVER_PREFIX,
    PERSON_MODE_PREFIX,
    handover_note,
    person_reply,
    send_person_screen,
)
from actions.screening_results import refer_screening, send_outcome
from content.catalogue import full_languages
from content.catalogue import text as catalogue_text
from saphan.db import session_scope
from screening import person_mode
from screening.adaptive import AdaptivePlanner
from screening.commands import default_commands
from screening.enrollment import EnrollmentError, active_officer, redeem_code
from screening.loader import default_screening
from screening.models import Officer
from screening.next_steps import next_steps_for
from screening.practice import (
    PRACTICE_PREFIX,
    Feedback,
    PracticeCase,
    default_practice,
    feedback,
    person_says,
    render_feedback,
)
from screening.practice_runs import CohortError, cohort_code, last_cohort, record_run
from screening.session import (
    PERSON_LANGUAGES,
    PROFILE_PREFIX,
    REST_PREFIX,
    TICK_PREFIX,
    ScreeningSession,
    SessionError,
    SessionState,
)

log = logging.getLogger("saphan.actions.screening")

FORM = "screening_form"
ENROLL_FORM = "screening_enroll_form"
STATE = "screening_state"
REPLY = "screening_reply"
CODE = "screening_code"
RECORD = "screening_record"
LANG = "screening_lang"
PERSON_PREFIX = "person:"
MODE_PREFIX = "mode:"
PRACTICE_MENU = f"{PRACTICE_PREFIX}menu"
PAYLOADS = (MODE_PREFIX, PERSON_PREFIX, PROFILE_PREFIX, REST_PREFIX, TICK_PREFIX,
            PRACTICE_PREFIX, HANDOVER, PERSON_MODE_PREFIX)  # never "cancel"
DEFAULT_MODE = "card"  # fewer taps, same result (benchmarks/screening.md)
MAX_BUTTONS = 13  # LINE quick-reply limit
CANCEL_CONFIDENCE = 0.9  # a typed reply NLU reads as `cancel` this surely cancels


@cache
def planner() -> AdaptivePlanner:
    return AdaptivePlanner(default_screening())


def officer_language(tracker: Tracker) -> str:
    """Officers use Thai or English: English for any language but Thai."""
    return "th" if user_language(tracker) == "th" else "en"


def officer_of(conversation_id: str) -> Officer | None:
    """The enrolled officer of this chat, if any."""
    with session_scope() as db:
        return active_officer(db, conversation_id)


def on_officer_channel(tracker: Tracker) -> bool:
    return latest_metadata(tracker).get("audience") == "officer"


def tell(dispatcher: CollectingDispatcher, key: str, lang: str,
        buttons: list[dict[str, str]] | None = None, **values: object) -> None:
    dispatcher.utter_message(text=catalogue_text("screening", key, lang, **values),
                             buttons=buttons or [])


def button(key: str, lang: str, payload: str) -> dict[str, str]:
    return {"title": catalogue_text("screening", key, lang), "payload": payload}


def current_session(tracker: Tracker) -> ScreeningSession | None:
    """The active session stored in the slot (written by these actions), else None."""
    raw = tracker.get_slot(STATE)
    if not raw:
        return None
    try:
        state = SessionState.model_validate_json(raw)
    except ValueError:
        return None
    if state.status != "active":
        return None
    return ScreeningSession(default_screening(), planner(), state)


def send_prompt(dispatcher: CollectingDispatcher, session: ScreeningSession) -> None:
    """The current question with quick replies: answers, back, pause, cancel, for the person.
    A card comes as a Flex card (tap what applies) followed by its heading with the quick
    replies; before the first answer the officer may switch between cards and one by one, or
    start a practice case. In practice the fictional person's answers come first. While the
    person has the phone, the person's screen instead."""
    if person_mode.holding(session):
        send_person_screen(dispatcher, session)
        return
    prompt = session.prompt()
    if prompt is None:
        return
    lang = session.state.officer_lang
    case = practice_case(session)
    if case is not None and prompt.kind in ("card", "indicator"):
        numbered = ([(line.number, line.item_id) for line in prompt.lines if line.answer is None]
                    if prompt.kind == "card" else [(prompt.number, prompt.id)])
        dispatcher.utter_message(text=person_says(session.data, case, numbered, lang))
    if prompt.kind == "card":
        dispatcher.utter_message(json_message=card_message(prompt, lang))
        text = catalogue_text("screening", "card_heading", lang, number=prompt.number,
                              dimension=prompt.text)
    else:
        text = catalogue_text("screening", "question", lang, number=prompt.number,
                              text=prompt.text)
    if not prompt.options:
        text = f"{text}\n{catalogue_text('screening', 'type_answer', lang)}"
    if case is not None:
        text = f"{catalogue_text('screening', 'practice_marker', lang)}\n{text}"
    buttons = [{"title": label, "payload": answer_id} for answer_id, label in prompt.options]
    if session.state.history:
        buttons.append(button("btn_back", lang, "back"))
    if not session.state.answers:
        other = "list" if session.state.mode == "card" else "card"
        buttons.append(button(f"btn_mode_{other}", lang, f"{MODE_PREFIX}{other}"))
    if not session.state.history and case is None:
        buttons.append(button("btn_practice", lang, PRACTICE_MENU))
    if person_mode.can_hand_over(session):
        buttons.append(button("btn_handover", lang, HANDOVER))
    buttons += [button("btn_pause", lang, "pause"), button("btn_cancel", lang, "/cancel"),
                button("btn_person", lang, "person")]
    dispatcher.utter_message(text=text, buttons=buttons[:MAX_BUTTONS])


def practice_case(session: ScreeningSession) -> PracticeCase | None:
    """The fictional case of a practice screening (None for a real one)."""
    if session.state.practice is None:
        return None
    return default_practice().case(session.state.practice)


def cohort_line(cohort: str | None, lang: str) -> str:
    """Which training cohort practice runs count for, or how to join one."""
    if cohort is None:
        return catalogue_text("screening", "practice_no_cohort", lang)
    return catalogue_text("screening", "practice_cohort", lang, cohort=cohort)


def practice_cohort(session: ScreeningSession, conversation_id: str) -> str | None:
    """The cohort given in this screening chat, else that of the officer's last practice run."""
    if session.state.cohort is not None:
        return session.state.cohort
    with session_scope() as db:
        officer = active_officer(db, conversation_id)
        return last_cohort(db, officer.id) if officer is not None else None


def join_cohort(dispatcher: CollectingDispatcher, session: ScreeningSession, typed: str) -> None:
    """"cohort <code>": the practice runs of this chat count for that training cohort."""
    lang = session.state.officer_lang
    try:
        session.state.cohort = cohort_code(typed)
    except CohortError:
        tell(dispatcher, "practice_cohort_invalid", lang)
        return
    dispatcher.utter_message(text=cohort_line(session.state.cohort, lang))


def store_practice_run(officer: Officer, cohort: str | None, result: Feedback) -> bool:
    """Keep the finished run for the trainer's cohort view (never a screening record); the
    officer's feedback does not depend on it, so a failed write is only logged."""
    try:
        with session_scope() as db:
            record_run(db, officer.id, officer.agency, cohort, result)
    except (SQLAlchemyError, CohortError):
        log.exception("practice run of case %s not stored", result.case_id)
        return False
    return True


def send_practice_menu(dispatcher: CollectingDispatcher, lang: str,
                       cohort: str | None) -> None:
    """The practice cases as one Flex card of buttons (the prompt's quick replies follow)."""
    buttons = [{"type": "button", "style": "secondary", "height": "sm",
                "action": {"type": "postback", "label": case.title.get(lang)[:40],
                           "data": f"{PRACTICE_PREFIX}{case.id}",
                           "displayText": case.title.get(lang)}}
               for case in default_practice().cases]
    choose = "\n".join([catalogue_text("screening", "practice_choose", lang),
                        cohort_line(cohort, lang)])
    dispatcher.utter_message(json_message={
        "type": "flex", "altText": choose[:400],
        "contents": {"type": "bubble", "body": {
            "type": "box", "layout": "vertical", "spacing": "sm",
            "contents": [{"type": "text", "text": choose, "wrap": True}, *buttons]}},
    })


def start_practice(dispatcher: CollectingDispatcher, session: ScreeningSession,
                   case_id: str, cohort: str | None) -> ScreeningSession:
    """A new practice screening of a fictional case (the real one in progress is dropped
    only if nothing was answered yet: the button shows only then)."""
    if session.state.history:
        raise SessionError("a practice case can only start before the first answer")
    case = default_practice().case(case_id)
    lang = session.state.officer_lang
    practice = ScreeningSession.start(session.data, session.planner, officer_lang=lang,
                                      mode=DEFAULT_MODE, practice=case.id,
                                      started_at=time.time())
    practice.state.cohort = cohort
    dispatcher.utter_message(text="\n".join([
        catalogue_text("screening", "practice_marker", lang),
        catalogue_text("screening", "practice_intro", lang, title=case.title.get(lang),
                       persona=case.persona.get(lang), story=case.story.get(lang)),
        cohort_line(cohort, lang)]))
    return practice


def send_person_text(dispatcher: CollectingDispatcher, session: ScreeningSession) -> None:
    """The plain-language question for the person, with buttons for the other languages."""
    lang = session.state.officer_lang
    shown = session.person_text()
    draft = catalogue_text("screening", "draft_translation", lang)
    label = shown.lang + (f", {draft}" if shown.needs_review else "")
    others = [{"title": code, "payload": f"{PERSON_PREFIX}{code}"}
              for code in PERSON_LANGUAGES if code != shown.lang]
    dispatcher.utter_message(
        text=f"{catalogue_text('screening', 'for_person', lang, language=label)}\n{shown.text}",
        buttons=others,
    )


def begin(dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
    """Resume the stored screening if there is one, else start a new one; run the form."""
    data = default_screening()
    raw = tracker.get_slot(STATE)
    session = None
    if raw:
        try:
            state = SessionState.model_validate_json(raw)
            state.status = "paused"  # an interrupted (active) screening resumes the same way
            session = ScreeningSession.resume(data, planner(), state.model_dump_json())
            tell(dispatcher, "resumed", lang)
        except SessionError as exc:
            tell(dispatcher, "cannot_resume", lang, reason=str(exc))
        except ValueError:  # not even a session state
            reason = catalogue_text("screening", "damaged_state", lang)
            tell(dispatcher, "cannot_resume", lang, reason=reason)
    if session is None:
        session = ScreeningSession.start(data, planner(), officer_lang=lang,  # type: ignore[arg-type]
                                         mode=DEFAULT_MODE)
        tell(dispatcher, "started", lang, version=data.questionnaire.version)
    return [SlotSet(STATE, session.state.model_dump_json()), SlotSet(REPLY, None),
            FollowupAction(FORM)]


class ActionScreeningStart(Action):
    """`start_screening`: refuse off officer channels, enrol unknown officers, else begin."""

    def name(self) -> str:
        return "action_screening_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = officer_language(tracker)
        if not on_officer_channel(tracker):
            tell(dispatcher, "public_channel", lang)
            return []
        if officer_of(tracker.sender_id) is None:
            return [SlotSet(LANG, lang), SlotSet(CODE, None), FollowupAction(ENROLL_FORM)]
        return [SlotSet(LANG, lang), *begin(dispatcher, tracker, lang)]


def screening_language(tracker: Tracker) -> str:
    """The language fixed when the officer asked to screen (a code looks English)."""
    lang = tracker.get_slot(LANG)
    return lang if lang in full_languages("screening") else officer_language(tracker)


def ask_code(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The enrollment form's question: the officer's code (or cancel)."""
    lang = screening_language(tracker)
    tell(dispatcher, "ask_code", lang, [button("btn_cancel", lang, "/cancel")])


class ValidateScreeningEnrollForm(FormValidationAction):
    """Redeem the code the officer sent; the slot keeps only 'enrolled' or 'invalid'."""

    def name(self) -> str:
        return "validate_screening_enroll_form"

    def validate_screening_code(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None:  # the slot was only cleared
            return {CODE: None}
        if not on_officer_channel(tracker):
            return {CODE: "invalid"}
        try:
            with session_scope() as db:
                officer = redeem_code(db, tracker.sender_id, str(value or ""))
        except EnrollmentError as exc:
            log.info("enrollment refused for %s…: %s", tracker.sender_id[:8], exc)
            return {CODE: "invalid"}
        log.info("officer %s enrolled (%s)", officer.id, officer.agency)
        return {CODE: "enrolled"}


class ActionScreeningAfterCode(Action):
    """After the enrollment form: begin the screening, or refuse politely."""

    def name(self) -> str:
        return "action_screening_after_code"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = screening_language(tracker)
        officer = officer_of(tracker.sender_id)
        if officer is None or not on_officer_channel(tracker):
            tell(dispatcher, "bad_code", lang)
            return [SlotSet(CODE, None)]
        tell(dispatcher, "enrolled", lang, role=officer.role, agency=officer.agency)
        return [SlotSet(CODE, None), *begin(dispatcher, tracker, lang)]


def wants_cancel(tracker: Tracker, session: ScreeningSession, text: str) -> bool:
    """A typed reply NLU reads as `cancel` with high confidence that is not an answer option
    (asked only for replies that are not a screening command such as "back")."""
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") != "cancel" or float(intent.get("confidence") or 0) < CANCEL_CONFIDENCE:
        return False
    prompt = session.prompt()
    options = prompt.options if prompt else ()
    wanted = text.casefold()
    return not any(wanted in (a.casefold(), label.casefold()) for a, label in options)


class ValidateScreeningForm(FormValidationAction):
    """Apply one officer reply: an answer, back, pause, or the person's text."""

    def name(self) -> str:
        return "validate_screening_form"

    def validate_screening_reply(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        if value is None:  # the slot was only cleared
            return {REPLY: None}
        session = current_session(tracker)
        if session is None or not on_officer_channel(tracker):
            return {REPLY: "done"}
        text = str(value or "").strip()
        lang = session.state.officer_lang
        command = default_commands().command(text)
        if person_mode.holding(session):
            person_reply(dispatcher, session, text)
            return {REPLY: "done" if session.is_done and not person_mode.holding(session)
                    else None, STATE: session.state.model_dump_json()}
        typed_cohort = default_commands().cohort_code(text)
        try:
            if typed_cohort is not None:
                join_cohort(dispatcher, session, typed_cohort)
            elif text == HANDOVER and person_mode.can_hand_over(session):
                dispatcher.utter_message(json_message=handover_menu(lang, HANDOVER_PREFIX))
            elif text.startswith(HANDOVER_PREFIX):
                try:
                    person_mode.hand_over(session, text[len(HANDOVER_PREFIX):])
                except person_mode.PersonModeError as exc:
                    raise SessionError(str(exc)) from None
            elif text == PRACTICE_MENU and not session.state.history:
                send_practice_menu(dispatcher, lang, practice_cohort(session, tracker.sender_id))
            elif text.startswith(PRACTICE_PREFIX) and text != PRACTICE_MENU:
                try:
                    session = start_practice(dispatcher, session, text[len(PRACTICE_PREFIX):],
                                             practice_cohort(session, tracker.sender_id))
                except KeyError:
                    raise SessionError("unknown practice case") from None
            elif text.startswith(MODE_PREFIX) and text[len(MODE_PREFIX):] in ("list", "card"):
                session.set_mode(text[len(MODE_PREFIX):])  # type: ignore[arg-type]
            elif text.startswith(PERSON_PREFIX):
                session.set_person_language(text[len(PERSON_PREFIX):])
                send_person_text(dispatcher, session)
            elif command == "person":
                send_person_text(dispatcher, session)
            elif command == "cancel" or (command is None and not text.startswith(PAYLOADS)
                                         and wants_cancel(tracker, session, text)):
                session.cancel()
                return {REPLY: "cancelled", STATE: session.state.model_dump_json()}
            elif command == "pause":
                return {REPLY: "paused", STATE: session.pause()}
            elif command == "back":
                if session.state.history:
                    session.back()
                else:
                    tell(dispatcher, "nothing_back", lang)
            else:
                session.answer(text)
        except SessionError as exc:
            tell(dispatcher, "invalid_answer", lang, reason=str(exc))
        state = session.state.model_dump_json()
        return {REPLY: "done" if session.is_done else None, STATE: state}


def ask_reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The screening form's question: the session's current prompt."""
    session = current_session(tracker)
    if session is not None:
        send_prompt(dispatcher, session)


class ActionScreeningFinish(Action):
    """After the form: paused → say how to resume; complete → record, result, next steps."""

    def name(self) -> str:
        return "action_screening_finish"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        raw = tracker.get_slot(STATE)
        state = SessionState.model_validate_json(raw) if raw else None
        lang = state.officer_lang if state else officer_language(tracker)
        if state is not None and state.status == "paused":
            tell(dispatcher, "paused", lang)
            return [SlotSet(REPLY, None)]
        if state is not None and state.status == "cancelled":
            tell(dispatcher, "cancelled", lang)
            return [SlotSet(STATE, None), SlotSet(REPLY, None)]
        session = current_session(tracker)
        officer = officer_of(tracker.sender_id)
        if session is None or not session.is_done or officer is None:
            tell(dispatcher, "not_enrolled", lang)
            return [SlotSet(STATE, None), SlotSet(REPLY, None)]
        case = practice_case(session)
        if case is not None:  # fictional: feedback, kept for the trainer, nothing to refer
            seconds = (int(time.time() - session.state.started_at)
                       if session.state.started_at else None)
            result = feedback(session.data, case, session.state.context, session.state.answers,
                              session.state.interactions, seconds)
            text = render_feedback(session.data, case, result, lang)
            cohort = session.state.cohort
            if store_practice_run(officer, cohort, result):
                text += "\n" + (catalogue_text("screening", "practice_saved_cohort", lang,
                                                cohort=cohort) if cohort
                                 else catalogue_text("screening", "practice_saved", lang))
            dispatcher.utter_message(text=text)
            log.info("practice case %s finished (result right: %s)", case.id,
                     result.right_result)
            return [SlotSet(STATE, None), SlotSet(REPLY, None)]
        record_id = send_outcome(dispatcher, session, officer, note=handover_note(session))
        tell(dispatcher, "ask_refer", lang, [button("btn_refer", lang, "/affirm"),
                                            button("btn_no_refer", lang, "/deny")])
        return [SlotSet(STATE, None), SlotSet(REPLY, None), SlotSet(RECORD, record_id)]


class ActionScreeningRefer(Action):
    """One tap: a case for caseworkers with the whole screening."""

    def name(self) -> str:
        return "action_screening_refer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = screening_language(tracker)
        record_id = tracker.get_slot(RECORD)
        if not record_id:
            tell(dispatcher, "nothing_to_refer", lang)
            return []
        case = await refer_screening(tracker.sender_id, record_id, lang)
        if case is None:
            tell(dispatcher, "refer_failed", lang)
            return []
        tell(dispatcher, "referred", lang, case_id=case["id"])
        return [SlotSet(RECORD, None)]


class ActionScreeningNoRefer(Action):
    def name(self) -> str:
        return "action_screening_no_refer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        record_id = tracker.get_slot(RECORD)
        if record_id:
            tell(dispatcher, "not_referred", screening_language(tracker), record=record_id[:8])
        return [SlotSet(RECORD, None)]


class ActionScreeningCancel(Action):
    """`cancel` during enrollment: leave the form (inside a screening the form cancels)."""

    def name(self) -> str:
        return "action_screening_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        session = current_session(tracker)
        lang = session.state.officer_lang if session else screening_language(tracker)
        tell(dispatcher, "cancelled", lang)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(STATE, None),
                SlotSet(REPLY, None), SlotSet(CODE, None)]


class ActionScreeningProcedure(Action):
    """`ask_referral_procedure`: the NRM steps when indicators suggest trafficking."""

    def name(self) -> str:
        return "action_screening_procedure"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = officer_language(tracker)
        steps = next_steps_for("likely_victim", None)
        heading = catalogue_text("screening", "procedure_heading", lang)
        dispatcher.utter_message(text=f"{heading}\n{steps.render(lang)}")
        return []
