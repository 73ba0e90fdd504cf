"""`action_ping`: proves the Rasa -> action server path works end to end."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionPing(Action):
    """Answer `pong` with the conversation id, and record the time in a slot."""

    def name(self) -> str:
        return "action_ping"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(json_message={"pong": tracker.sender_id})
        return [SlotSet("last_ping_sender", tracker.sender_id)]
