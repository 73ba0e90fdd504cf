"""Delete my data: confirm, ask the gateway to erase (app database now, Rasa's tracker after
this turn), confirm."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import say, user_language, yes_no
from actions.erasure import ErasureClient
from saphan.settings import get_settings


def ask_delete_confirmation(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """`action_ask_delete_confirmation` (actions/form_questions.py): erase, yes or no?"""
    language = user_language(tracker)
    say(dispatcher, "delete_confirm", language, yes_no(language))


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        await ErasureClient.from_settings(get_settings()).erase(tracker.sender_id)
        say(dispatcher, "delete_done", language)
        return [AllSlotsReset()]


class ActionDeleteCancelled(Action):
    def name(self) -> str:
        return "action_delete_cancelled"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        say(dispatcher, "delete_cancelled", user_language(tracker))
        return []
