"""Emergency: the numbers with call buttons, "can you talk safely now?", an urgent case."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import say, user_language, yes_no
from actions.escalation import open_case
from content.catalogue import text
from referral_directory.bundled import DATA_DIR

#: The directory entries (referral_directory/data/hotlines.yaml) shown in an emergency, with
#: the catalogue text naming each on its card (in the person's language).
EMERGENCY_HOTLINES = ("hotline-191", "hotline-1300")
CARD_NAMES = ("card_hotline_police", "card_hotline_social")


@lru_cache
def emergency_hotlines() -> tuple[dict[str, Any], ...]:
    """191 and 1300 as the directory ships them (numbers and names have a source there)."""
    data = yaml.safe_load((DATA_DIR / "hotlines.yaml").read_text(encoding="utf-8"))
    by_id = {entry["id"]: entry for entry in data["services"]}
    return tuple(by_id[hotline_id] for hotline_id in EMERGENCY_HOTLINES)


def hotline_cards(language: str) -> dict[str, Any]:
    """The gateway's service-card payload for the emergency numbers (call buttons), named in
    `language`."""
    services = [{"name": text("bot", key, language), "phone": entry["phones"][0]}
                for key, entry in zip(CARD_NAMES, emergency_hotlines(), strict=True)]
    numbers = ", ".join(entry["phones"][0] for entry in emergency_hotlines())
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
