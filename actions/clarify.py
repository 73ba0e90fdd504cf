"""Clarify instead of guessing (issue 19 pt 4): when the NLU's top two intents are too close
(FallbackClassifier `ambiguity_threshold`, tuned by `make tune-nlu`), one tap-to-answer
question offers both, e.g. "Do you want to find a service, or tell us what happened to you?".

A wrong guess costs more than a tap: a story sent to the service search, or a request for a
shelter answered with six report questions. Only intents a person can recognise as a choice
are offered (`CHOICES`); a close call between others (thanks vs goodbye) keeps the rephrase
hint. Emergencies never get the question: the safety net runs after the FallbackClassifier
and turns any message that may be one into `emergency` (bot/config.yml). Each button replays
its intent with the entities of the original message (`/find_service{"province":"Tak"}`), so
nothing the person wrote is lost; `opening_text` gives the flow the message itself.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker

from actions.conversation import buttons
from content.catalogue import text

FALLBACK_INTENT = "nlu_fallback"
#: Intents that may be offered: intent -> (text key of the option in the question, text key of
#: its button label, ≤ 20 characters for LINE).
CHOICES: dict[str, tuple[str, str]] = {
    "find_service": ("clarify_find_service", "btn_find_help"),
    "report_exploitation": ("clarify_report_exploitation", "btn_tell_story"),
    "ask_rights": ("clarify_ask_rights", "btn_rights"),
    "request_human": ("clarify_request_human", "btn_person"),
    "bot_challenge": ("clarify_bot_challenge", "btn_who_are_you"),
    "help": ("clarify_help", "btn_menu"),
}
#: Entities carried into the replayed intent (the language entity is a request of its own).
CARRIED_ENTITIES = ("province", "service_type")


def ranking(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The classifier's own ranking of a parsed message, without the fallback intent."""
    return [r for r in message.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]


def ambiguous_pair(message: dict[str, Any]) -> tuple[str, str] | None:
    """The top two intents when `message` went to nlu_fallback because they were too close
    (not because the best was below the confidence threshold) and both can be offered."""
    if (message.get("intent") or {}).get("name") != FALLBACK_INTENT:
        return None
    threshold = float((message.get("intent") or {}).get("confidence") or 0.0)
    ranked = ranking(message)
    if len(ranked) < 2 or float(ranked[0].get("confidence") or 0.0) < threshold:
        return None  # Rasa gives nlu_fallback the threshold as confidence: below it = unsure
    pair = (str(ranked[0]["name"]), str(ranked[1]["name"]))
    return pair if all(intent in CHOICES for intent in pair) else None


def replay_payload(intent: str, message: dict[str, Any]) -> str:
    """`/intent{...}` with the first value of each carried entity of `message`."""
    entities: dict[str, str] = {}
    for entity in message.get("entities") or []:
        name = entity.get("entity")
        if name in CARRIED_ENTITIES and name not in entities and entity.get("value"):
            entities[name] = str(entity["value"])
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def clarifying_question(message: dict[str, Any], language: str
                        ) -> tuple[str, list[dict[str, str]]] | None:
    """The question and its two buttons for an ambiguous `message`, else None."""
    pair = ambiguous_pair(message)
    if pair is None:
        return None
    first, second = (text("bot", CHOICES[intent][0], language) for intent in pair)
    question = text("bot", "clarify_question", language, first=first, second=second)
    return question, buttons(language, *((CHOICES[intent][1], replay_payload(intent, message))
                                         for intent in pair))


def opening_text(tracker: Tracker) -> str:
    """What the person wrote to open the current flow: the latest message, or, when that is
    a button answering the clarifying question, the message the question was about."""
    latest = str(tracker.latest_message.get("text") or "")
    if not latest.startswith("/"):
        return latest
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    users = [e for e in reversed(tracker.events) if e.get("event") == "user"]
    if len(users) > 1 and intent in (ambiguous_pair(users[1].get("parse_data") or {}) or ()):
        return str(users[1].get("text") or "")
    return latest
