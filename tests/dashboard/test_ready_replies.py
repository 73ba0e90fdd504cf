"""Caseworkers' ready replies over real HTTP: the case page names the person's language and
offers each ready reply in it with its Thai/English meaning; one click sends it to the person
on (fake) LINE in the language they read now (even if it changed since the case opened)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dashboard_helpers import PASSWORD, login

from cases import service
from cases.accounts import add_caseworker
from cases.runtime import READY_REPLIES
from content.catalogue import text
from gateway import users
from saphan.db import in_session
from saphan.language import detect_language, language_name
from saphan.settings import get_settings
from testsupport.cases import Gateway
from testsupport.polling import wait_for


@pytest.fixture
def alice(app_env: str) -> int:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice").id


def person(line_user_id: str, language: str) -> users.User:
    user = in_session(users.get_or_create, "public", line_user_id,
                      get_settings().pseudonym_key.get_secret_value(), language)
    assert user.language == language
    return user


def test_the_ready_replies_cover_the_six_situations_in_five_languages() -> None:
    assert READY_REPLIES == ("reply_greeting", "reply_safe_now", "reply_coming", "reply_call",
                             "reply_location", "reply_closing")
    for key in READY_REPLIES:
        for lang in ("th", "en", "my", "km", "lo"):
            assert detect_language(text("cases", key, lang)) == lang, (key, lang)
    assert {"191", "1300"} <= set(re.findall(r"\d+", text("cases", "reply_call", "lo")))


def test_queue_and_case_page_name_the_language_and_offer_ready_replies(
        gateway: Gateway, alice: int) -> None:
    user = person("Uready-my", "my")
    case_id = gateway.create_case(conversation_id=user.conversation_id,
                                  language="my").json()["id"]
    client, _ = login(gateway, "alice")  # Thai interface by default
    row = client.get("/dashboard").text.split(f'id="case-{case_id}"')[1].split("</tr>")[0]
    assert f'class="case-language" lang="my">{language_name("my", "th")}<' in row
    page = client.get(f"/dashboard/cases/{case_id}").text
    assert f'<strong id="person-language">{language_name("my", "th")}</strong>' in page
    for key in READY_REPLIES:
        form = page.split(f'data-key="{key}"')[1].split("</form>")[0]
        assert text("cases", key, "my").replace('"', "&#34;") in form  # what the person gets
        assert text("cases", key, "th") in form  # its meaning for the caseworker


def test_one_click_sends_the_reply_in_the_language_the_person_reads_now(
        gateway: Gateway, alice: int) -> None:
    user = person("Uready-switch", "my")
    case_id = gateway.create_case(conversation_id=user.conversation_id,
                                  language="my").json()["id"]
    in_session(users.update_user, "public", "Uready-switch", language="km")  # switched later
    client, token = login(gateway, "alice")
    page = client.get(f"/dashboard/cases/{case_id}").text
    assert f'<strong id="person-language">{language_name("km", "th")}</strong>' in page

    sent = client.post(f"/dashboard/cases/{case_id}/ready-reply",
                       data={"csrf": token, "key": "reply_safe_now"})
    assert sent.status_code == 303
    pushed = wait_for(lambda: gateway.line.messages_to("Uready-switch"))
    assert pushed == [("push", {"type": "text", "text": text("cases", "reply_safe_now", "km")})]
    assert detect_language(pushed[0][1]["text"]) == "km"
    [message] = in_session(service.transcript, case_id)
    assert (message.sender, message.body) == ("caseworker",
                                              text("cases", "reply_safe_now", "km"))


def test_an_unknown_ready_reply_is_refused_and_nothing_is_sent(gateway: Gateway,
                                                                alice: int) -> None:
    user = person("Uready-bad", "lo")
    case_id = gateway.create_case(conversation_id=user.conversation_id,
                                  language="lo").json()["id"]
    client, token = login(gateway, "alice")
    refused = client.post(f"/dashboard/cases/{case_id}/ready-reply",
                          data={"csrf": token, "key": "reply_anything"})
    assert refused.status_code == 422 and "reply_anything" in refused.text
    assert in_session(service.transcript, case_id) == []
    assert gateway.line.messages_to("Uready-bad") == []
    forged = client.post(f"/dashboard/cases/{case_id}/ready-reply",
                         data={"csrf": "forged", "key": "reply_greeting"})
    assert forged.status_code in (403, 400)
    assert gateway.line.messages_to("Uready-bad") == []


@pytest.mark.browser
def test_one_click_in_the_browser(gateway: Gateway, alice: int, page: Any) -> None:
    user = person("Uready-browser", "lo")
    case_id = gateway.create_case(conversation_id=user.conversation_id,
                                  language="lo").json()["id"]
    page.goto(f"{gateway.url}/dashboard/login?lang=en")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")
    assert page.locator(f"#case-{case_id} .case-language").inner_text() == "Lao"
    page.goto(f"{gateway.url}/dashboard/cases/{case_id}")
    assert page.locator("#person-language").inner_text() == "Lao"
    location = page.locator('form.ready-reply[data-key="reply_location"]')
    assert location.locator(".meaning").inner_text() == text("cases", "reply_location", "en")
    location.locator("button").click()
    page.wait_for_url(f"{gateway.url}/dashboard/cases/{case_id}")
    wait_for(lambda: ("push", {"type": "text", "text": text("cases", "reply_location", "lo")})
             in gateway.line.messages_to("Uready-browser"))
