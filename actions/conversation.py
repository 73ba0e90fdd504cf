"""Helpers shared by the migrant-conversation actions: user language, texts, menu buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from content.catalogue import text
from saphan.language import LANGUAGES, native_name, reply_language

#: Main menu: (text key of the label, payload).
MENU: tuple[tuple[str, str], ...] = (
    ("btn_find_help", "/find_service"),
    ("btn_rights", "/ask_rights"),
    ("btn_person", "/request_human"),
    ("btn_emergency", "/emergency"),
)
#: Language choice buttons: (label in its own script, language code).
LANGUAGE_CHOICES: tuple[tuple[str, str], ...] = tuple((native_name(code), code)
                                                      for code in LANGUAGES)


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the gateway sent with the latest user message (channel, language, location)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def user_language(tracker: Tracker) -> str:
    """Language to answer in, the most recent evidence first: a language chosen after the
    latest message (slot `language`), the language the gateway stores for the person and
    sends with each message (the one they chose — menu, button or words — or last wrote in),
    the script of the latest typed message, an earlier choice; else Thai. Button payloads
    ("/affirm") without metadata say nothing about the language."""
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "language" \
                and event.get("value") in LANGUAGES:
            return str(event["value"])
        if event.get("event") != "user":
            continue
        stored = (event.get("metadata") or {}).get("language")
        if stored in LANGUAGES:
            return str(stored)
        if not str(event.get("text") or "").startswith("/"):
            detected = (event.get("parse_data") or {}).get("language")
            if detected in LANGUAGES:
                return str(detected)
    chosen = next(tracker.get_latest_entity_values("language"), None)
    return reply_language(chosen)


def language_buttons() -> list[dict[str, str]]:
    """One button per language, each named in its own script."""
    return [{"title": label, "payload": f'/change_language{{"language":"{code}"}}'}
            for label, code in LANGUAGE_CHOICES]


def buttons(language: str, *items: tuple[str, str]) -> list[dict[str, str]]:
    """Rasa buttons from (text key, payload) pairs."""
    return [{"title": text("bot", key, language), "payload": payload} for key, payload in items]


def yes_no(language: str, with_dont_know: bool = False) -> list[dict[str, str]]:
    items = [("btn_yes", "/affirm"), ("btn_no", "/deny")]
    if with_dont_know:
        items.append(("btn_dont_know", "/dont_know"))
    return buttons(language, *items)


def say(dispatcher: CollectingDispatcher, key: str, language: str,
        button_list: list[dict[str, str]] | None = None, **values: object) -> None:
    """Send the text `key` in `language`, optionally with quick-reply buttons."""
    dispatcher.utter_message(text=text("bot", key, language, **values), buttons=button_list or [])


def show_menu(dispatcher: CollectingDispatcher, language: str, key: str = "menu_prompt") -> None:
    say(dispatcher, key, language, buttons(language, *MENU))
