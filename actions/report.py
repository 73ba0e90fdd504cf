"""Report a situation: care, up to six yes/no questions, then a caseworker (or the emergency
flow at once when an answer shows immediate danger). Facts already stated in the opening
message ("they took my passport") answer their questions, confirmed instead of asked."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clarify import opening_text
from actions.conversation import say, user_language, yes_no
from actions.emergency import emergency_response, safe_to_talk_reply
from actions.escalation import open_case
from actions.report_facts import stated_facts
from content.catalogue import text as text_of

FORM = "report_form"
#: The questions in the order asked (slot names; texts are `q_<slot>`).
QUESTIONS = ("documents_taken", "wages_withheld", "free_to_leave", "debt", "threats",
             "under_18")
#: The answer each intent gives to the question asked.
ANSWERS = {"affirm": "yes", "deny": "no", "dont_know": "unknown"}
#: Answers that mean immediate danger: (slot, answer).
DANGER_ANSWERS = {("threats", "yes"), ("free_to_leave", "no")}
NOT_ASKED = "not_asked"


def answers(tracker: Tracker) -> dict[str, str]:
    return {q: tracker.get_slot(q) for q in QUESTIONS if tracker.get_slot(q) is not None}


def in_danger(tracker: Tracker) -> bool:
    return any((slot, value) in DANGER_ANSWERS for slot, value in answers(tracker).items())


class ActionReportAcknowledge(Action):
    """Care message; the facts the opening message states fill their answers (others reset)
    and are confirmed back, so the form asks only what it does not know."""

    def name(self) -> str:
        return "action_report_acknowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        say(dispatcher, "report_ack", language)
        facts = stated_facts(opening_text(tracker))  # also after the clarifying question
        if facts:
            listed = "; ".join(text_of("bot", f"fact_{slot}", language) for slot in facts)
            say(dispatcher, "report_facts_known", language, facts=listed)
        return [SlotSet(q, facts.get(q)) for q in QUESTIONS]


class ValidateReportForm(FormValidationAction):
    """Fills the question asked from the yes/no/don't-know intent (the answer slots' one custom
    mapping); a danger answer ends the questions at once (the rest are marked not asked)."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[dict[str, Any]]:
        asked = tracker.get_slot("requested_slot")
        answer = ANSWERS.get((tracker.latest_message.get("intent") or {}).get("name"))
        # Nothing extracted (e.g. `cancel`) rejects the form, so the rules for that intent run.
        return [SlotSet(asked, answer)] if asked in QUESTIONS and answer else []

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        """After a danger answer only the questions already answered are required."""
        if in_danger(tracker):
            return [slot for slot in domain_slots if tracker.get_slot(slot) is not None]
        return domain_slots

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)  # updates tracker.slots
        if in_danger(tracker):
            events += [SlotSet(q, NOT_ASKED) for q in QUESTIONS if tracker.get_slot(q) is None]
        return events


def ask_question(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The form's question for `slot`: the text `q_<slot>` with yes/no/don't-know buttons."""
    language = user_language(tracker)
    say(dispatcher, f"q_{slot}", language, yes_no(language, with_dont_know=True))


class ActionReportOutcome(Action):
    """After the questions: the emergency flow when in danger, else offer a caseworker."""

    def name(self) -> str:
        return "action_report_outcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if in_danger(tracker):
            await emergency_response(dispatcher, tracker, "Self-report showing immediate danger",
                                     {"report": answers(tracker)})
            return []
        language = user_language(tracker)
        say(dispatcher, "report_offer", language, yes_no(language))
        return []


class ActionReportFollowup(Action):
    """Answer to the outcome's question: safe-to-talk (danger) or caseworker yes/no."""

    def name(self) -> str:
        return "action_report_followup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if in_danger(tracker):
            safe_to_talk_reply(dispatcher, tracker)
            return []
        language = user_language(tracker)
        if (tracker.latest_message.get("intent") or {}).get("name") != "affirm":
            say(dispatcher, "report_declined", language)
            return [SlotSet(q, None) for q in QUESTIONS]
        case = await open_case(tracker, priority="high", source="self-report", language=language,
                               summary="Self-report of a work situation",
                               screening={"report": answers(tracker)})
        say(dispatcher, "report_case_created" if case else "case_failed", language)
        return []
