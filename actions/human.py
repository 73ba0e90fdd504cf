"""Reach a person (`request_human`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import say, user_language
from actions.escalation import open_case

#: Languages caseworkers read themselves; a case in another one needs an interpreter.
CASEWORKER_LANGUAGES = ("th", "en")


class ActionRequestHuman(Action):
    """Create a case and say what happens next, in the person's language; a case in a language
    caseworkers do not read says that an interpreter is needed."""

    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        summary = "The user asked to talk to a person"
        if language not in CASEWORKER_LANGUAGES:
            summary += f" (writes {language}: needs an interpreter)"
        case = await open_case(tracker, priority="normal", source="request", language=language,
                               summary=summary)
        say(dispatcher, "human_case_created" if case else "case_failed", language)
        return []
