"""Form questions and the report's answers, the Rasa way: one generic ask action serves every
`action_ask_<slot>` the domain names, and the report's answer slots share one custom mapping
filled by `validate_report_form`."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.find_service import ValidateFindServiceForm
from actions.form_questions import QUESTIONS
from actions.report import QUESTIONS as REPORT_QUESTIONS
from actions.report import ValidateReportForm
from content.catalogue import text as catalogue_text
from saphan.paths import BOT_DIR

#: Required slots no question asks for: a shared location is used when there is one.
NEVER_ASKED = {"location"}


def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {"actions": [], "forms": {}, "slots": {}, "responses": {}}
    for path in sorted((BOT_DIR / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8"))
        merged["actions"] += part.get("actions", [])
        for key in ("forms", "slots", "responses"):
            merged[key].update(part.get(key) or {})
    return merged


def test_the_action_server_serves_exactly_the_questions_the_domain_names() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    served = {name for name in executor.actions if name.startswith("action_ask_")}
    named = {name for name in domain()["actions"] if name.startswith("action_ask_")}
    assert served == named == {f"action_ask_{slot}" for slot in QUESTIONS}
    pickle.loads(pickle.dumps(executor))  # Sanic hands the executor to its worker processes


def test_every_form_slot_has_a_question() -> None:
    merged = domain()
    for form in merged["forms"].values():
        for slot in form["required_slots"]:
            asked = (f"action_ask_{slot}" in merged["actions"]
                     or f"utter_ask_{slot}" in merged["responses"])
            assert asked or slot in NEVER_ASKED, slot


def test_report_answer_slots_share_one_definition() -> None:
    slots = domain()["slots"]
    assert all(slots[slot] == slots[REPORT_QUESTIONS[0]] for slot in REPORT_QUESTIONS)
    assert slots[REPORT_QUESTIONS[0]]["mappings"] == [{"type": "custom"}]


def ask(slot: str, language: str) -> dict[str, Any]:
    parse = {"text": "x", "intent": {"name": "inform"}, "entities": [], "language": language}
    tracker = Tracker("conv-q", {}, parse, [{"event": "user", "text": "x", "parse_data": parse}],
                      False, None, {}, "action_listen")
    executor = ActionExecutor()
    executor.register_package("actions")
    dispatcher = CollectingDispatcher()
    events = executor.actions[f"action_ask_{slot}"](dispatcher, tracker, {})
    assert events == []
    [message] = dispatcher.messages
    return message


def test_a_report_question_is_its_text_with_yes_no_dont_know() -> None:
    message = ask("debt", "en")
    assert message["text"] == catalogue_text("bot", "q_debt", "en")
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny", "/dont_know"]
    assert ask("threats", "th")["text"] == catalogue_text("bot", "q_threats", "th")


def test_the_service_questions_and_the_delete_confirmation() -> None:
    service = ask("service_type", "en")
    assert service["text"] == catalogue_text("bot", "ask_service_type", "en")
    assert '/inform{"service_type":"shelter"}' in [b["payload"] for b in service["buttons"]]
    assert ask("province", "en")["text"] == catalogue_text("bot", "ask_place", "en")
    confirm = ask("delete_confirmation", "th")
    assert confirm["text"] == catalogue_text("bot", "delete_confirm", "th")
    assert [b["payload"] for b in confirm["buttons"]] == ["/affirm", "/deny"]


REPORT_DOMAIN = {"forms": {"report_form": {"required_slots": list(REPORT_QUESTIONS)}},
                 "slots": {}}


def validate(intent: str, asked: str | None, **answered: str) -> list[dict[str, Any]]:
    latest = {"text": f"/{intent}", "intent": {"name": intent}, "entities": []}
    slots = {"requested_slot": asked, **answered}
    tracker = Tracker("conv-r", slots, latest, [{"event": "user", "parse_data": latest}],
                      False, None, {"name": "report_form"}, "action_listen")
    return asyncio.run(ValidateReportForm().run(CollectingDispatcher(), tracker, REPORT_DOMAIN))


def test_the_answer_intent_fills_the_question_asked_only() -> None:
    for intent, value in (("affirm", "yes"), ("deny", "no"), ("dont_know", "unknown")):
        events = validate(intent, "debt", documents_taken="yes")
        assert [(e["name"], e["value"]) for e in events] == [("debt", value)]


def test_another_intent_fills_nothing_so_the_form_rejects_and_rules_run() -> None:
    assert validate("cancel", "debt") == []
    assert validate("affirm", None) == []


def test_a_danger_answer_ends_the_questions() -> None:
    events = validate("affirm", "threats", documents_taken="no", wages_withheld="no",
                      free_to_leave="yes", debt="no")
    set_ = [(e["name"], e["value"]) for e in events]
    assert set_ == [("threats", "yes"), ("requested_slot", None), ("under_18", "not_asked")]


FIND_DOMAIN = {"forms": {"find_service_form": {"required_slots": [
    "service_type", "province", "location"]}}, "slots": {}}


def test_a_shared_location_fills_where_and_province_is_not_asked() -> None:
    here = {"latitude": 16.7, "longitude": 98.5, "address": "Mae Sot"}
    latest = {"text": "", "intent": {"name": "find_service"}, "entities": []}
    events = [{"event": "user", "parse_data": latest, "metadata": {"location": here}}]
    tracker = Tracker("conv-f", {}, latest, events, False, None, {}, "action_listen")
    result = asyncio.run(ValidateFindServiceForm().run(CollectingDispatcher(), tracker,
                                                       FIND_DOMAIN))
    assert [(e["name"], e["value"]) for e in result] == [
        ("location", {"latitude": 16.7, "longitude": 98.5}), ("requested_slot", "service_type")]
    searched = [*events, {"event": "action", "name": "action_search_services"},
                {"event": "user", "parse_data": latest, "metadata": {}}]
    tracker = Tracker("conv-f", {}, latest, searched, False, None, {}, "action_listen")
    result = asyncio.run(ValidateFindServiceForm().run(CollectingDispatcher(), tracker,
                                                       FIND_DOMAIN))
    assert [(e["name"], e["value"]) for e in result] == [("requested_slot", "service_type")]
