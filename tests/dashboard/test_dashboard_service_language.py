"""Service cards a caseworker sends from a case are in the language the person reads now (the
one stored for them), like the cards' alt text, not in the language the case was opened in."""

from __future__ import annotations

import json

import pytest
from dashboard_helpers import PASSWORD, login

from cases.accounts import add_caseworker
from content.catalogue import text
from gateway import users
from referral_directory.bundled import load_bundled
from referral_directory.models import Service
from saphan.db import in_session, session_scope
from saphan.settings import get_settings
from testsupport.cases import Gateway
from testsupport.polling import wait_for


@pytest.fixture
def alice(app_env: str) -> int:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice").id


def test_service_cards_are_sent_in_the_persons_current_language(gateway: Gateway,
                                                                alice: int) -> None:
    with session_scope() as session:
        load_bundled(session)
    user = in_session(users.get_or_create, "public", "Uswitched",
                      get_settings().pseudonym_key.get_secret_value(), language="en")
    case_id = gateway.create_case(conversation_id=user.conversation_id, language="th",
                                  province="Chiang Mai", latitude=18.79,
                                  longitude=98.99).json()["id"]  # opened in Thai
    client, token = login(gateway, "alice")
    assert client.post(f"/dashboard/cases/{case_id}/claim", data={"csrf": token}).is_redirect
    page = client.get(f"/dashboard/cases/{case_id}").text
    service_id = int(page.split('data-service-id="')[1].split('"')[0])
    client.post(f"/dashboard/cases/{case_id}/services",
                data={"csrf": token, "service_id": str(service_id)})
    [card] = wait_for(lambda: [m for _, m in gateway.line.messages_to("Uswitched")
                               if m["type"] == "flex"])
    with session_scope() as session:
        service_type = session.get(Service, service_id).service_type
    shown = json.dumps(card["contents"], ensure_ascii=False)
    assert card["altText"] == text("cases", "services_alt", "en")
    assert text("bot", f"type_{service_type}", "en") in shown
    assert text("bot", f"type_{service_type}", "th") not in shown
