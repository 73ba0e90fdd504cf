"""Emergency: the numbers with call buttons, "can you talk safely now?", an urgent case."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import say, user_language, yes_no
from actions.escalation import open_case
from content.catalogue import text
from referral_directory.cards import cards_of_hotlines

#: The hotlines shown in an emergency (facts of content/texts/facts.yml: numbers from
#: referral_directory/data/hotlines.yaml; each card named by the catalogue's `card_<fact>`).
EMERGENCY_HOTLINES = ("hotline_police", "hotline_social")


def hotline_cards(language: str) -> dict[str, Any]:
    """The gateway's service-card payload for the emergency numbers (call buttons), named in
    `language`."""
    services = cards_of_hotlines(EMERGENCY_HOTLINES, language)
    numbers = ", ".join(card["phone"] for card in services)
    alt_text = text("bot", "emergency_alt", language, numbers=numbers)
    return {"services": services, "alt_text": alt_text}


async def emergency_response(dispatcher: CollectingDispatcher, tracker: Tracker,
                             summary: str, screening: dict[str, Any] | None = None) -> None:
    """Numbers, call buttons, an urgent case, then "can you talk safely now?"."""
    language = user_language(tracker)
    say(dispatcher, "emergency", language)
    dispatcher.utter_message(json_message=hotline_cards(language))
    case = await open_case(tracker, priority="urgent", source="emergency", language=language,
                           summary=summary, screening=screening)
    if case is not None:
        say(dispatcher, "emergency_case", language)
    say(dispatcher, "ask_safe_now", language, yes_no(language))


class ActionEmergency(Action):
    """The emergency flow; never waits for anything else."""

    def name(self) -> str:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        summary = "Emergency from the chat" + detection_note(tracker.latest_message)
        await emergency_response(dispatcher, tracker, summary)
        return []


def detection_note(message: dict[str, Any]) -> str:
    """How the NLU came to `emergency`, for the caseworker's triage of the urgent case."""
    net = message.get("safety_net") or {}
    if net.get("keyword"):
        return " (safety-net keyword)"
    if "emergency_confidence" in net:
        return (f" (likely emergency: classifier confidence {net['emergency_confidence']:.2f}, "
                "another intent ranked first)")
    return ""


def safe_to_talk_reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Answer to "can you talk safely now?" (affirm → tell us more; else → stay safe)."""
    language = user_language(tracker)
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    say(dispatcher, "safe_yes" if intent == "affirm" else "safe_no", language)


class ActionEmergencyFollowup(Action):
    def name(self) -> str:
        return "action_emergency_followup"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        safe_to_talk_reply(dispatcher, tracker)
        return []
