"""What the bot answers when asked for services (the action server's functions on the real
app database): always numbers to call, "call to confirm", cards in the person's language,
towns people name, LINE's location button when the place is missing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.find_service import ActionSearchServices, ask_place
from actions.screening_results import send_services
from content.catalogue import text as catalogue_text
from referral_directory.bundled import load_bundled
from referral_directory.vocab import LANGUAGES
from saphan.db import session_scope
from saphan.line_messages import LOCATION_PAYLOAD, rasa_to_line

CODE = re.compile(r"(?<![\w.])(" + "|".join(LANGUAGES) + r")(?![\w.])|mon-fri")


@pytest.fixture
def directory(app_env: str) -> None:
    with session_scope() as session:
        load_bundled(session)


def user_event(said: str, language: str, entities: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
    parse = {"text": said, "intent": {"name": "inform"}, "entities": entities or [],
             "language": language}
    return {"event": "user", "text": said, "parse_data": parse, "metadata": {}}


def answer(slots: dict[str, Any], language: str, said: str = "x",
           entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    event = user_event(said, language, entities)
    tracker = Tracker("conv-answers", slots, event["parse_data"], [event], False, None, {},
                      "action_listen")
    dispatcher = CollectingDispatcher()
    ActionSearchServices().run(dispatcher, tracker, {})
    return dispatcher.messages


def line_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The LINE messages the gateway makes of them (Rasa's REST output drops empty keys)."""
    return rasa_to_line([{k: v for k, v in m.items() if v} for m in messages])


def cards_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return next(m["custom"]["services"] for m in messages if m.get("custom"))


def card_words(card: dict[str, Any]) -> str:
    return " ".join(str(v) for k, v in card.items()
                    if k not in ("phone", "latitude", "longitude", "website"))


@pytest.mark.parametrize("language", ["th", "en", "my"])
def test_shelter_where_only_unverified_data_still_gives_callable_hotlines(
        directory: None, language: str) -> None:
    # Rayong has only sample entries: the answer still carries 1300 and 191 to call
    messages = answer({"service_type": "shelter", "province": "Rayong"}, language)
    cards = cards_of(messages)
    assert [c["phone"] for c in cards if "organisation" not in c] == ["1300", "191"]
    assert catalogue_text("bot", "call_to_confirm", language) in messages[0]["text"]
    label = catalogue_text("bot", "sample_label", language)
    confirm = catalogue_text("bot", "card_confirm", language)
    for card in cards:
        assert not CODE.search(card_words(card)), card
        if card["name"].startswith(label):
            assert card["notice"] == confirm
    line = line_messages(messages)
    assert len(line) <= 5 and len(line[1]["contents"]["contents"]) <= 12
    calls = [b["action"]["uri"] for bubble in line[1]["contents"]["contents"]
             for b in bubble.get("footer", {}).get("contents", [])
             if b["action"]["uri"].startswith("tel:")]
    assert {"tel:1300", "tel:191"} <= set(calls)


def test_labour_and_medical_needs_add_their_hotlines(directory: None) -> None:
    labour = [c.get("phone") for c in cards_of(answer(
        {"service_type": "labour_complaint", "province": "Tak"}, "en"))]
    assert labour[-4:] == ["1546", "1694", "1300", "191"]
    medical = [c.get("phone") for c in cards_of(answer(
        {"service_type": "medical", "province": "Tak"}, "en"))]
    assert medical[-3:] == ["1669", "1300", "191"]


def test_near_mae_sot_searches_by_distance_from_the_town(directory: None) -> None:
    said = "I need a shelter near Mae Sot"
    start = said.index("Mae Sot")
    entity = {"entity": "province", "value": "Tak", "start": start, "end": start + 7}
    cards = cards_of(answer({"service_type": "shelter", "province": "Tak"}, "en", said,
                            [entity]))
    first = cards[0]
    assert "Mae Sot" in first["name"]  # what is in Mae Sot first, not the province seat
    assert first["distance"] == catalogue_text("bot", "distance_about", "en", km="0.0")
    assert all("distance" in c for c in cards if "organisation" in c)


@pytest.mark.parametrize("language", ["my", "km", "lo"])
def test_shared_location_in_mae_sot_in_the_persons_language(directory: None,
                                                            language: str) -> None:
    cards = cards_of(answer({"service_type": "shelter",
                             "location": {"latitude": 16.713, "longitude": 98.575}}, language))
    first = cards[0]
    assert first["alt_name"].endswith("(อ.แม่สอด จ.ตาก)")  # the Thai name, to show someone
    km = catalogue_text("bot", "distance_about", language, km="0.0")
    assert first["distance"] == km
    assert first["organisation"].startswith(catalogue_text("bot", "type_shelter", language))
    for card in cards:
        assert not CODE.search(card_words(card)), card


def test_asking_for_the_place_offers_lines_location_button(app_env: str) -> None:
    event = user_event("shelter", "th")
    tracker = Tracker("conv-place", {}, event["parse_data"], [event], False, None, {},
                      "action_listen")
    dispatcher = CollectingDispatcher()
    ask_place(dispatcher, tracker)
    [line] = line_messages(dispatcher.messages)
    assert line["text"] == catalogue_text("bot", "ask_place", "th")
    [item] = line["quickReply"]["items"]
    assert item["action"] == {"type": "location",
                              "label": catalogue_text("bot", "btn_location", "th")}
    assert dispatcher.messages[0]["buttons"][0]["payload"] == LOCATION_PAYLOAD


def test_officer_screening_services_carry_the_hotlines_too(directory: None) -> None:
    dispatcher = CollectingDispatcher()
    send_services(dispatcher, "labour_complaint", "Tak", "en")
    cards = cards_of(dispatcher.messages)
    assert [c.get("phone") for c in cards][-4:] == ["1546", "1694", "1300", "191"]
    assert len([c for c in cards if "organisation" in c]) <= 3
