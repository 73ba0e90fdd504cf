"""Find a service: a form asking only for what is missing (service type; province or a shared
location), then the directory search shown as service cards."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import MENU, buttons, say, user_language
from actions.escalation import shared_location
from content.catalogue import text
from referral_directory.cards import answer_cards, province_name
from referral_directory.gazetteer import Town, find_town
from referral_directory.search import SearchResult, ServiceQuery, search_services
from referral_directory.vocab import LANGUAGES, SERVICE_TYPES
from saphan.db import session_scope
from saphan.line_messages import LOCATION_PAYLOAD, MAX_BUBBLES

FORM = "find_service_form"
#: Slots this flow fills; cleared after each search so the next search starts fresh.
FLOW_SLOTS = ("service_type", "province", "location")
#: Cards per answer: the results, then the national hotlines for the need (cards.py).
CARDS_SHOWN = MAX_BUBBLES
#: Service types offered as buttons when the user has not said which help they need.
ASKED_TYPES = ("shelter", "labour_complaint", "legal_aid", "medical", "embassy", "interpreter",
               "repatriation", "hotline")


def new_shared_location(tracker: Tracker) -> dict[str, Any] | None:
    """A location the user shared since the last search (each search starts afresh)."""
    return shared_location(tracker, since_action="action_search_services")


class ValidateFindServiceForm(FormValidationAction):
    """Where = a province or a shared location: whichever is known, the other is not asked."""

    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        located = tracker.get_slot("location") or new_shared_location(tracker)
        unused = "province" if located else "location"
        return [slot for slot in domain_slots if slot != unused]

    def extract_location(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        """The slot's custom mapping: a location shared since the last search."""
        location = None if tracker.get_slot("location") else new_shared_location(tracker)
        if location is None:
            return {}
        return {"location": {"latitude": location["latitude"],
                             "longitude": location["longitude"]}}

    def validate_service_type(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return {"service_type": value if value in SERVICE_TYPES else None}


def ask_service_type(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Which help: the service types as buttons."""
    language = user_language(tracker)
    choices = [(f"type_{kind}", f'/inform{{"service_type":"{kind}"}}') for kind in ASKED_TYPES]
    say(dispatcher, "ask_service_type", language, buttons(language, *choices))


def ask_place(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Where: a province or town, or LINE's "send my location" quick-reply button."""
    language = user_language(tracker)
    say(dispatcher, "ask_place", language, buttons(language, ("btn_location", LOCATION_PAYLOAD)))


def named_town(tracker: Tracker, province: str | None) -> Town | None:
    """The town the person named for the place ("near Mae Sot" fills the province slot with
    Tak): the text of the province entity, since the last search, if it is a known town."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_search_services":
            return None
        if event.get("event") != "user":
            continue
        said = event.get("text") or ""
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            if entity.get("entity") != "province" or entity.get("value") != province:
                continue
            start, end = entity.get("start"), entity.get("end")
            town = find_town(said[start:end]) if start is not None and end else None
            if town is not None and town.province == province:
                return town
    return None


def results_heading(result: SearchResult, language: str, province: str | None,
                    shown: int) -> str:
    """What was found (`shown` local results), then "call to confirm before you go"."""
    if result.scope == "local":
        heading = text("bot", "results_local", language, count=shown)
    elif result.scope == "neighbours":
        heading = text("bot", "results_neighbours", language, count=shown,
                       province=province_name(province, language) or "")
    else:
        heading = text("bot", "results_national", language)
    return f"{heading}\n{text('bot', 'call_to_confirm', language)}"


class ActionSearchServices(Action):
    """Search the directory with the form's slots and show the results as cards (services
    speaking the person's language first among equals), always with the national hotlines
    for the need and "call to confirm before you go"."""

    def name(self) -> str:
        return "action_search_services"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        location = tracker.get_slot("location") or {}
        province = tracker.get_slot("province")
        town = None if location else named_town(tracker, province)
        if town is not None:  # "near Mae Sot": by distance from the town, not the province
            location = {"latitude": town.latitude, "longitude": town.longitude}
        service_type = tracker.get_slot("service_type")
        query = ServiceQuery(
            service_type=service_type,
            province=None if location else province,
            latitude=location.get("latitude"), longitude=location.get("longitude"),
            prefer_language=language if language in LANGUAGES else None,
            limit=CARDS_SHOWN,
        )
        with session_scope() as session:
            result = search_services(session, query)
            found, hotlines = answer_cards(result.hits, service_type, language, CARDS_SHOWN)
        cards = found + hotlines
        person = buttons(language, ("btn_person", "/request_human"), MENU[3])
        dispatcher.utter_message(text=results_heading(result, language, province, len(found)))
        alt_text = text("bot", "results_alt", language)
        dispatcher.utter_message(json_message={"services": cards, "alt_text": alt_text})
        say(dispatcher, "menu_prompt", language, person)
        return [SlotSet(slot, None) for slot in FLOW_SLOTS]
