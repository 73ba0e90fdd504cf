"""Welcome, language choice, menu, fallbacks and small talk (texts: catalogue namespace bot)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import FALLBACK_INTENT, clarifying_question
from actions.conversation import (
    MENU,
    buttons,
    language_buttons,
    say,
    show_menu,
    user_language,
)
from content.catalogue import languages, text
from saphan.language import SET_LANGUAGE_KEY


class ActionShowMenu(Action):
    """Language choice and the main menu in one message (LINE shows only the last message's
    quick replies): 5 languages + 4 menu items."""

    def name(self) -> str:
        return "action_show_menu"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        body = f"{text('bot', 'menu_prompt', language)}\n{text('bot', 'choose_language', language)}"
        dispatcher.utter_message(text=body, buttons=[*buttons(language, *MENU),
                                                     *language_buttons()])
        return []


class ActionSetLanguage(Action):
    """Switch to the chosen language (entity `language`: a button or words such as "ภาษาพม่า",
    "English please"), confirm in it and tell the gateway (`SET_LANGUAGE_KEY`), which keeps it
    for the person; without a language named, offer the five, each in its own script."""

    def name(self) -> str:
        return "action_set_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        chosen = next(tracker.get_latest_entity_values("language"), None)
        if chosen not in languages("bot"):
            dispatcher.utter_message(text=text("bot", "choose_language", user_language(tracker)),
                                     buttons=language_buttons())
            return []
        say(dispatcher, "language_set", chosen)
        show_menu(dispatcher, chosen)
        dispatcher.utter_message(json_message={SET_LANGUAGE_KEY: chosen})
        return [SlotSet("language", chosen)]


class TextAction(Action, ABC):
    """Sends one text by key (and the main menu or a 'talk to a person' button)."""

    key: str
    with_menu: bool = False
    offer_person: bool = False

    @abstractmethod
    def name(self) -> str: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        if self.with_menu:
            show_menu(dispatcher, language, self.key)
        else:
            extra = buttons(language, ("btn_person", "/request_human")) if self.offer_person else []
            say(dispatcher, self.key, language, extra)
        return []


class ActionBotChallenge(TextAction):
    key, offer_person = "bot_challenge", True

    def name(self) -> str:
        return "action_bot_challenge"


class ActionOutOfScope(TextAction):
    key, with_menu = "out_of_scope", True

    def name(self) -> str:
        return "action_out_of_scope"


class ActionGoodbye(TextAction):
    key = "goodbye"

    def name(self) -> str:
        return "action_goodbye"


class ActionThanks(TextAction):
    key, with_menu = "thanks", True

    def name(self) -> str:
        return "action_thanks"


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the latest user messages in a row fell below the NLU threshold."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionFallback(Action):
    """Two close intents: which of them (actions/clarify.py). Low confidence: a rephrase hint
    and the menu; the second in a row offers a person. Inside a form (a reply the form could not
    take: its rule is rejected, this runs, then Rasa returns to the form, which asks its
    question again with its own buttons) only the rephrase hint: a menu or another question
    would stand between the person and the question they are answering."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        question = clarifying_question(tracker.latest_message, language)
        if tracker.active_loop_name:
            say(dispatcher, "fallback", language)
        elif question is not None:
            dispatcher.utter_message(text=question[0], buttons=question[1])
        elif fallbacks_in_a_row(tracker) >= 2:
            say(dispatcher, "fallback_person", language,
                buttons(language, ("btn_person", "/request_human"), MENU[0]))
        else:
            show_menu(dispatcher, language, "fallback")
        return []
