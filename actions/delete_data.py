"""Delete my data: confirm, erase (app database now, Rasa's tracker after this turn), confirm."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import say, user_language, yes_no
from actions.erasure import erase_app_data, erase_tracker_after_turn
from saphan.db import get_engine
from saphan.settings import get_settings


class ActionAskDeleteConfirmation(Action):
    def name(self) -> str:
        return "action_ask_delete_confirmation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        say(dispatcher, "delete_confirm", language, yes_no(language))
        return []


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        settings = get_settings()
        erase_app_data(get_engine(), tracker.sender_id)
        erase_tracker_after_turn(settings.rasa_url, settings.tracker_store_url, tracker.sender_id)
        say(dispatcher, "delete_done", language)
        return [AllSlotsReset()]


class ActionDeleteCancelled(Action):
    def name(self) -> str:
        return "action_delete_cancelled"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        say(dispatcher, "delete_cancelled", user_language(tracker))
        return []
