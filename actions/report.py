"""Report a situation: care, up to six yes/no questions, then a caseworker (or the emergency
flow at once when an answer shows immediate danger)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import say, user_language, yes_no
from actions.emergency import emergency_response, safe_to_talk_reply
from actions.escalation import open_case

FORM = "report_form"
#: The questions in the order asked (slot names; texts are `q_<slot>`).
QUESTIONS = ("documents_taken", "wages_withheld", "free_to_leave", "debt", "threats",
             "under_18")
#: Answers that mean immediate danger: (slot, answer).
DANGER_ANSWERS = {("threats", "yes"), ("free_to_leave", "no")}
NOT_ASKED = "not_asked"


def answers(tracker: Tracker) -> dict[str, str]:
    return {q: tracker.get_slot(q) for q in QUESTIONS if tracker.get_slot(q) is not None}


def in_danger(tracker: Tracker) -> bool:
    return any((slot, value) in DANGER_ANSWERS for slot, value in answers(tracker).items())


class ActionReportAcknowledge(Action):
    def name(self) -> str:
        return "action_report_acknowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        say(dispatcher, "report_ack", user_language(tracker))
        return [SlotSet(q, None) for q in QUESTIONS]


class ValidateReportForm(FormValidationAction):
    """A danger answer ends the questions at once (the rest are marked not asked)."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        current = {**answers(tracker), **{k: v for k, v in values.items() if k in QUESTIONS}}
        if any((slot, value) in DANGER_ANSWERS for slot, value in current.items()):
            rest = [SlotSet(q, NOT_ASKED) for q in QUESTIONS if current.get(q) is None]
            events = [e for e in events if e.get("name") != "requested_slot"]
            events += [*rest, SlotSet("requested_slot", None)]
        return events


class AskQuestion(Action, ABC):
    """Asks the yes/no question `q_<slot>` (the form's `action_ask_<slot>`)."""

    slot: str

    @abstractmethod
    def name(self) -> str: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        say(dispatcher, f"q_{self.slot}", language, yes_no(language, with_dont_know=True))
        return []


class ActionAskDocumentsTaken(AskQuestion):
    slot = "documents_taken"

    def name(self) -> str:
        return "action_ask_documents_taken"


class ActionAskWagesWithheld(AskQuestion):
    slot = "wages_withheld"

    def name(self) -> str:
        return "action_ask_wages_withheld"


class ActionAskFreeToLeave(AskQuestion):
    slot = "free_to_leave"

    def name(self) -> str:
        return "action_ask_free_to_leave"


class ActionAskDebt(AskQuestion):
    slot = "debt"

    def name(self) -> str:
        return "action_ask_debt"


class ActionAskThreats(AskQuestion):
    slot = "threats"

    def name(self) -> str:
        return "action_ask_threats"


class ActionAskUnder18(AskQuestion):
    slot = "under_18"

    def name(self) -> str:
        return "action_ask_under_18"


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
