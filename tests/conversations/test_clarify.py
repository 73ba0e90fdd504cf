"""The clarifying question (issue 19 pt 4, actions/clarify.py) without Rasa: which fallbacks
ask which two intents, what the buttons replay, and the report's facts after a tap."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.basics import ActionFallback
from actions.clarify import CHOICES, ambiguous_pair, opening_text, replay_payload
from actions.report import ActionReportAcknowledge
from content.catalogue import text
from saphan.language import LANGUAGES
from saphan.line_messages import MAX_LABEL

THRESHOLD = 0.3  # what Rasa's FallbackClassifier gives nlu_fallback as its confidence


def parsed(text_: str, ranking: list[tuple[str, float]], fell_back: bool = True,
           entities: list[tuple[str, str]] = (), language: str = "en") -> dict[str, Any]:
    """A parse result as Rasa sends it: nlu_fallback first in the ranking when it fired."""
    ranked = [{"name": name, "confidence": c} for name, c in ranking]
    if fell_back:
        ranked.insert(0, {"name": "nlu_fallback", "confidence": THRESHOLD})
    return {"text": text_, "intent": ranked[0], "intent_ranking": ranked,
            "entities": [{"entity": e, "value": v} for e, v in entities], "language": language}


def tracker(*messages: dict[str, Any]) -> Tracker:
    events = [{"event": "user", "text": m["text"], "parse_data": m, "metadata": {}}
              for m in messages]
    return Tracker("conv-clarify", {}, messages[-1], events, False, None, {}, "action_listen")


STORY = parsed("my boss took my passport and I need a lawyer in Mae Sot",
               [("report_exploitation", 0.41), ("find_service", 0.38), ("ask_rights", 0.1)],
               entities=[("service_type", "legal_aid"), ("province", "Tak"),
                         ("language", "my")])


def test_two_close_intents_that_can_be_offered_are_asked_about() -> None:
    assert ambiguous_pair(STORY) == ("report_exploitation", "find_service")


@pytest.mark.parametrize("message", [
    # best intent below the fallback threshold: unsure, not torn between two
    parsed("qwzx", [("find_service", 0.2), ("report_exploitation", 0.19)]),
    # torn between two that are no choice for the person
    parsed("ok thanks bye", [("thank", 0.4), ("goodbye", 0.38)]),
    parsed("pai", [("find_service", 0.4), ("inform", 0.38)]),
    # no fallback at all
    parsed("I need a shelter", [("find_service", 0.9), ("report_exploitation", 0.05)],
           fell_back=False),
])
def test_other_messages_get_no_question(message: dict[str, Any]) -> None:
    assert ambiguous_pair(message) is None


def test_each_button_replays_its_intent_with_the_places_and_services_said() -> None:
    payload = replay_payload("find_service", STORY)
    intent, entities = payload[1:].split("{", 1)
    assert intent == "find_service"
    assert json.loads("{" + entities) == {"service_type": "legal_aid", "province": "Tak"}
    assert replay_payload("ask_rights", parsed("hmm", [("ask_rights", 0.5)])) == "/ask_rights"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fallback_action_asks_in_the_persons_language(language: str) -> None:
    dispatcher = CollectingDispatcher()
    ActionFallback().run(dispatcher, tracker({**STORY, "language": language}), {})
    [message] = dispatcher.messages
    for intent in ("report_exploitation", "find_service"):
        assert text("bot", CHOICES[intent][0], language) in message["text"]
    assert [b["title"] for b in message["buttons"]] == [
        text("bot", "btn_tell_story", language), text("bot", "btn_find_help", language)]
    assert [b["payload"].split("{")[0] for b in message["buttons"]] == [
        "/report_exploitation", "/find_service"]


def test_an_unsure_message_still_gets_the_rephrase_hint_and_the_menu() -> None:
    dispatcher = CollectingDispatcher()
    unsure = parsed("qwzx", [("find_service", 0.2), ("report_exploitation", 0.19)])
    ActionFallback().run(dispatcher, tracker(unsure), {})
    assert dispatcher.messages[0]["text"] == text("bot", "fallback", "en")
    assert "/emergency" in [b["payload"] for b in dispatcher.messages[0]["buttons"]]


def test_the_report_opened_by_the_button_reads_the_facts_of_the_message_asked_about() -> None:
    tap = parsed('/report_exploitation{"province":"Tak"}',
                 [("report_exploitation", 1.0)], fell_back=False)
    opened = tracker(STORY, tap)
    assert opening_text(opened) == STORY["text"]
    events = ActionReportAcknowledge().run(CollectingDispatcher(), opened, {})
    assert {e["name"]: e["value"] for e in events}["documents_taken"] == "yes"
    # a menu button after an ordinary message is no answer to a question
    menu = parsed("/report_exploitation", [("report_exploitation", 1.0)], fell_back=False)
    greeting = parsed("hello", [("greet", 0.9)], fell_back=False)
    assert opening_text(tracker(greeting, menu)) == "/report_exploitation"
    # an intent the question did not offer does not carry the story along
    other = parsed("/ask_rights", [("ask_rights", 1.0)], fell_back=False)
    assert opening_text(tracker(STORY, other)) == "/ask_rights"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_choice_has_an_option_and_a_short_label_in_every_language(language: str) -> None:
    for option, label in CHOICES.values():
        assert text("bot", option, language)
        assert len(text("bot", label, language)) <= MAX_LABEL, (label, language)
