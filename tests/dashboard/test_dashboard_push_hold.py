"""The queue's banner while LINE pushes are held (the channel's monthly limit, issue 21): read
from the outbox, so every replica shows it; shown and hidden live in the browser."""

from __future__ import annotations

import re

from dashboard_helpers import PASSWORD, login

from cases.accounts import add_caseworker
from content.catalogue import text
from gateway import outbox
from saphan.db import in_session, session_scope
from testsupport.cases import Gateway
from testsupport.polling import wait_for

BANNER = re.compile(r'<div class="alert" id="pushes-held" role="alert"( hidden)?>([^<]*)</div>')


def _held_batch() -> int:
    with session_scope() as session:
        [batch] = outbox.record(session, None, "public", "Uwaiting1", "push",
                                [[{"type": "text", "text": "held reply"}]])
        outbox.mark_held(session, batch.id)
        return batch.id


def _banner(html: str) -> tuple[bool, str]:
    found = BANNER.search(html)
    assert found, "the queue has no push-hold banner"
    return found.group(1) is None, found.group(2)


def test_the_queue_shows_the_banner_while_a_push_is_held(gateway: Gateway) -> None:
    in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")
    client, _ = login(gateway, "alice")
    assert _banner(client.get("/dashboard").text)[0] is False
    batch = _held_batch()
    shown, words = _banner(client.get("/dashboard").text)
    assert shown and words == text("dashboard", "pushes_held", "th")  # alice reads Thai
    with session_scope() as session:
        outbox.mark_sent(session, batch, "push")  # the hold ended and the push went
    assert _banner(client.get("/dashboard").text)[0] is False


def test_the_banner_follows_the_hold_live(gateway: Gateway, page) -> None:  # type: ignore[no-untyped-def]
    in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")
    page.goto(f"{gateway.url}/dashboard")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")
    banner = page.locator("#pushes-held")
    assert banner.is_hidden()
    wait_for(lambda: gateway.runtime.live.subscribers)  # the page's event stream is open
    gateway.runtime.live.publish("line_pushes_held", channel="public", held=True)
    banner.wait_for(state="visible", timeout=10_000)
    gateway.runtime.live.publish("line_pushes_held", channel="public", held=False)
    banner.wait_for(state="hidden", timeout=10_000)
