"""Headless Chromium chats with the real bot (Rasa + actions + gateway) through /simulator."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from gateway_helpers import gateway_process

from saphan.line_messages import rasa_to_line
from testsupport.browser import ARGS, CHROMIUM
from testsupport.channels import channel_settings
from testsupport.databases import migrated_database
from testsupport.stack import Stack, free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium "
                       "(apt-get install -y chromium)"),
]
CHROMIUM_ARGS = ["--headless", *ARGS]


def test_simulator_chat_in_chromium(rasa_stack: Stack, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    reply = httpx.post(f"{rasa_stack.rasa_url}/webhooks/rest/webhook", timeout=60, json={
        "sender": f"probe-{uuid.uuid4().hex}", "message": "hello",
        "metadata": {"channel": "simulator-public", "audience": "public", "language": "en",
                     "location": None}}).json()
    expected = [m["text"] for m in rasa_to_line(reply) if m["type"] == "text"]
    assert expected, "Rasa has no text answer to 'hello'"
    with migrated_database("sqlite", tmp_path) as db_url:
        settings = rasa_stack.settings.model_copy(update={
            "database_url": db_url, "gateway_port": free_port(),
            "line_channels": channel_settings()})
        with gateway_process(settings, tmp_path / "gateway.log"), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{settings.gateway_url}/simulator")
            expect(page.locator(".bot-text").first).to_contain_text("1300", timeout=30_000)
            page.get_by_role("button", name="English").click()
            # the welcome was Thai: choosing English brings the privacy notice in English first
            expect(page.locator(".bot-text").nth(1)).to_contain_text("Privacy", timeout=30_000)
            expect(page.locator(".bot-text").nth(2)).to_contain_text("English", timeout=30_000)
            page.fill("#text", "hello")
            page.click("button[type=submit]")
            expect(page.locator(".user-text")).to_have_text(["hello"])
            expect(page.locator(".bot-text").nth(3)).to_have_text(
                re.compile(re.escape(expected[0])), timeout=60_000)
            browser.close()
