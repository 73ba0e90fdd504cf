"""Headless Chromium drives the dashboard: log in, a new escalation appears without reload,
claim, reply (fake LINE receives the push), user message shows live, send a service card,
close; the user's next LINE message then reaches the bot again."""

from __future__ import annotations

import httpx
import pytest
from dashboard_helpers import PASSWORD

from cases import service
from cases.accounts import add_caseworker, authenticate, set_active
from dashboard.auth import SESSION_COOKIE
from gateway import users
from referral_directory.bundled import load_bundled
from saphan.db import in_session, session_scope
from saphan.settings import get_settings
from testsupport.cases import CHANNELS, Gateway
from testsupport.polling import wait_for

pytestmark = pytest.mark.browser




def test_caseworker_handles_an_escalation_in_the_browser(gateway: Gateway, page) -> None:  # type: ignore[no-untyped-def]
    in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")
    with session_scope() as session:
        load_bundled(session)
    secret = get_settings().pseudonym_key.get_secret_value()
    user = in_session(users.get_or_create, "public", "Ubrowser", secret, language="en")

    page.goto(f"{gateway.url}/dashboard")  # redirected to the login form
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")

    case_id = gateway.create_case(conversation_id=user.conversation_id, priority="urgent",
                                  province="Bangkok").json()["id"]
    row = page.locator(f"#case-{case_id}")
    row.wait_for()  # arrived over server-sent events, no reload
    assert page.locator("#alert").is_visible()

    row.locator("button.claim").click()
    page.wait_for_url(f"{gateway.url}/dashboard/cases/{case_id}")
    assert in_session(service.get_case, case_id).assignee_id is not None

    page.fill("#reply-form textarea", "Hello, I am a caseworker. Are you safe?")
    page.click("#reply-form button[type=submit]")
    wait_for(lambda: ("push", {"type": "text", "text": "Hello, I am a caseworker. Are you safe?"})
             in gateway.line.messages_to("Ubrowser"))

    # During the handoff the user's LINE message goes to the case transcript, not to Rasa.
    secret_of = {c["name"]: c["secret"] for c in CHANNELS}
    during = gateway.line.text_event("Ubrowser", "Yes, I am at the bus station")
    gateway.line.send_webhook(gateway.url, "public", secret_of["public"], [during])
    page.locator("#transcript", has_text="Yes, I am at the bus station").wait_for()
    assert not any(m.get("message") == "Yes, I am at the bus station"
                   for m in gateway.rasa.messages)

    page.locator("button.send-card").first.click()
    wait_for(lambda: [m for _, m in gateway.line.messages_to("Ubrowser") if m["type"] == "flex"])

    page.select_option("#close-form select[name=outcome]", "Closed")
    page.fill("#close-form textarea[name=reason]", "User is safe and has the hotline numbers.")
    page.click("#close-form button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")
    assert page.locator(f"#case-{case_id}").count() == 0
    assert in_session(service.get_case, case_id).status == "Closed"
    assert gateway.rasa.tracker_events == []  # the case row held the hand-off, not Rasa

    event = gateway.line.text_event("Ubrowser", "thank you")
    gateway.line.send_webhook(gateway.url, "public", secret_of["public"], [event])
    wait_for(lambda: any(m.get("message") == "thank you" for m in gateway.rasa.messages),
             timeout=20)
    wait_for(lambda: ("reply", {"type": "text", "text": "bot: thank you"})
             in gateway.line.messages_to("Ubrowser"), timeout=20)


def test_caseworker_changes_the_password_and_sessions_end_in_the_browser(  # type: ignore[no-untyped-def]
        gateway: Gateway, page) -> None:
    in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")
    page.goto(f"{gateway.url}/dashboard/login?lang=en")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")

    page.click("#change-password")
    page.wait_for_url(f"{gateway.url}/dashboard/password")
    assert "At least 10 characters" in page.locator("#password-rule").inner_text()
    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=new]", "a brand new passphrase")
    page.fill("input[name=again]", "a brand new passphrase")
    page.click("#password-form button[type=submit]")
    assert "Password changed" in page.locator("#password-message").inner_text()
    assert in_session(authenticate, "alice", "a brand new passphrase") is not None

    [cookie] = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.click("#logout")
    page.wait_for_url(f"{gateway.url}/dashboard/login")
    with httpx.Client(base_url=gateway.url, timeout=10) as other:  # the old cookie is dead
        assert other.get("/dashboard", cookies={SESSION_COOKIE: cookie["value"]}
                         ).status_code == 401

    # An open queue whose session ends (here: the account is deactivated) shows the login form
    # at its next update instead of silently going stale.
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "a brand new passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")
    in_session(set_active, "alice", False, "test")
    gateway.create_case()
    page.wait_for_url(f"{gateway.url}/dashboard/login")
