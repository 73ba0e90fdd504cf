"""Reach a person (`request_human`), also the reply to messages in Myanmar, Khmer or Lao."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import say, user_language
from actions.escalation import open_case
from content.catalogue import full_languages


class ActionRequestHuman(Action):
    """Create a case and say what happens next; other languages get a case flagged with theirs."""

    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        other = language not in full_languages("bot")
        summary = (f"Message in language '{language}': needs an interpreter" if other
                   else "The user asked to talk to a person")
        case = await open_case(tracker, priority="high" if other else "normal",
                               source="request", language=language, summary=summary)
        if case is None:
            say(dispatcher, "case_failed", language)
        elif other:
            say(dispatcher, "other_language", language)
            say(dispatcher, "emergency", language)
        else:
            say(dispatcher, "human_case_created", language)
        return []
