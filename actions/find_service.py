"""Find a service: a form asking only for what is missing (service type; province or a shared
location), then the directory search shown as service cards."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import MENU, buttons, say, user_language
from actions.emergency import hotline_cards
from actions.escalation import shared_location
from content.catalogue import text
from referral_directory.search import SearchResult, ServiceQuery, search_services
from referral_directory.vocab import SERVICE_TYPES
from saphan.db import session_scope

FORM = "find_service_form"
#: Slots this flow fills; cleared after each search so the next search starts fresh.
FLOW_SLOTS = ("service_type", "province", "location")
RESULTS_SHOWN = 10  # + 2 national hotlines when widened: within LINE's 12 bubbles
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
    """Where: a province, or share a location."""
    say(dispatcher, "ask_place", user_language(tracker))


def service_card(hit: Any, language: str) -> dict[str, Any]:
    """One directory hit in the gateway's service-card shape (saphan/line_messages.py)."""
    service = hit.service
    name = (service.name_th if language == "th" and service.name_th else service.name_en)
    if service.sample:
        name = f"{text('bot', 'sample_label', language)} {name}"
    org = service.organisation
    org_name = (org.name_th if language == "th" and org.name_th else org.name_en) if org else None
    card: dict[str, Any] = {
        "name": name,
        "organisation": " · ".join(
            p for p in (text("bot", f"type_{service.service_type}", language), org_name) if p),
        "address": ", ".join(p for p in (service.address, service.province) if p) or None,
        "hours": text("bot", "open_24h", language) if service.is_24h
        else text("bot", "hours", language, hours=service.opening_hours) if service.opening_hours
        else None,
        "languages": text("bot", "languages", language, languages=", ".join(service.languages))
        if service.languages else None,
        "distance": text("bot", "distance", language, km=f"{hit.distance_km:.1f}")
        if hit.distance_km is not None else None,
        "phone": service.phones[0] if service.phones else None,
        "latitude": service.latitude,
        "longitude": service.longitude,
    }
    return {key: value for key, value in card.items() if value is not None}


def results_heading(result: SearchResult, language: str, province: str | None) -> str:
    if result.scope == "local":
        return text("bot", "results_local", language, count=len(result.hits))
    if result.scope == "neighbours":
        return text("bot", "results_neighbours", language, count=len(result.hits),
                    province=province or "")
    if result.scope == "national":
        return text("bot", "results_national", language)
    return text("bot", "results_none", language)


class ActionSearchServices(Action):
    """Search the directory with the form's slots and show the results as cards."""

    def name(self) -> str:
        return "action_search_services"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        location = tracker.get_slot("location") or {}
        province = tracker.get_slot("province")
        query = ServiceQuery(
            service_type=tracker.get_slot("service_type"),
            province=None if location else province,
            latitude=location.get("latitude"), longitude=location.get("longitude"),
            limit=RESULTS_SHOWN,
        )
        with session_scope() as session:
            result = search_services(session, query)
            cards = [service_card(hit, language) for hit in result.hits]
        if result.scope != "local":  # widened: the national hotlines too
            cards += hotline_cards(language)["services"]
        person = buttons(language, ("btn_person", "/request_human"), MENU[3])
        if cards:
            dispatcher.utter_message(text=results_heading(result, language, province))
            alt_text = text("bot", "results_alt", language)
            dispatcher.utter_message(json_message={"services": cards, "alt_text": alt_text})
            say(dispatcher, "menu_prompt", language, person)
        else:
            say(dispatcher, "results_none", language, person)
        return [SlotSet(slot, None) for slot in FLOW_SLOTS]
