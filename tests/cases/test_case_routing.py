"""Routing of new cases (issue 17 point 7): an escalation from a person in Tak, made by the real
escalation action against the real gateway, belongs to the agency covering Tak, also when the
province is named only in the emergency message itself (the slot mapping skips emergency
messages); a province nobody covers falls back to the national agency. Both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.emergency import ActionEmergency
from agencies import store
from agencies.bundled import load_examples
from cases import service
from saphan.db import in_session
from testsupport.cases import Gateway, running_gateway


@pytest.fixture
def gateway(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with running_gateway(monkeypatch) as gw:
        in_session(load_examples)
        yield gw


def emergency(conversation_id: str, text: str, province_entity: str | None,
              slots: dict[str, Any] | None = None) -> None:
    entities = ([{"entity": "province", "value": province_entity, "start": 0, "end": 1}]
                if province_entity else [])
    parse = {"text": text, "intent": {"name": "emergency", "confidence": 0.95},
             "entities": entities, "language": "en"}
    events = [{"event": "user", "text": text, "parse_data": parse,
               "metadata": {"channel": "public", "language": "en"}}]
    tracker = Tracker(conversation_id, slots or {}, parse, events, False, None, {},
                      "action_listen")
    asyncio.run(ActionEmergency().run(CollectingDispatcher(), tracker, {}))


def owner_code(conversation_id: str) -> str:
    case = in_session(service.open_case_for, conversation_id)
    assert case is not None, "the emergency opened a case"
    return in_session(store.get, case.agency_id).code


def test_an_emergency_naming_tak_goes_to_the_agency_covering_tak(gateway: Gateway) -> None:
    emergency("conv-tak", "help they lock me in a factory in Mae Sot", "Tak")
    assert owner_code("conv-tak") == "tak-msdhs"


def test_the_province_slot_routes_too(gateway: Gateway) -> None:
    emergency("conv-slot", "help me", None, slots={"province": "Tak"})
    assert owner_code("conv-slot") == "tak-msdhs"


def test_a_province_no_agency_covers_goes_to_a_national_agency(gateway: Gateway) -> None:
    emergency("conv-far", "help they lock me in", "Nan")
    owner = in_session(store.by_code, owner_code("conv-far"))
    assert owner.national and owner.code != "tak-msdhs"
