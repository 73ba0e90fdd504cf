"""Small units: the live broker, recipient configuration, texts, HTCDS table parsing."""

from __future__ import annotations

import asyncio
import threading

import pytest

from cases.htcds import parse_fields
from cases.live import QUEUE_SIZE, Broker, sse
from content.catalogue import catalogue, text
from saphan.settings import CaseworkerRecipientsError, Settings


def test_broker_fans_out_and_a_slow_subscriber_never_blocks() -> None:
    async def scenario() -> tuple[int, int, int]:
        broker = Broker()
        async with broker.subscribe() as slow, broker.subscribe() as fast:
            for i in range(QUEUE_SIZE + 5):
                broker.publish("message", n=i)
                if i < 3:
                    await fast.get()
            return slow.qsize(), fast.qsize(), broker.subscribers

    slow, fast, subscribers = asyncio.run(scenario())
    assert slow == QUEUE_SIZE and fast == QUEUE_SIZE and subscribers == 2
    assert sse({"kind": "case_created", "id": 1}).startswith("event: case_created\ndata: {")


def test_broker_takes_events_published_from_other_threads() -> None:
    """Request handlers run in a thread pool: their events reach subscribers on the loop."""
    async def scenario() -> dict:
        broker = Broker()
        async with broker.subscribe() as queue:
            publisher = threading.Thread(target=broker.publish, args=("case_updated",),
                                         kwargs={"case": {"id": 3}})
            publisher.start()
            publisher.join()
            return await asyncio.wait_for(queue.get(), 5)

    assert asyncio.run(scenario()) == {"kind": "case_updated", "case": {"id": 3}}


def test_recipients_are_validated() -> None:
    good = Settings(caseworker_line_recipients='[{"channel": "officer", "user_id": "U1"}]')
    assert [(r.channel, r.user_id, r.wide_only) for r in good.caseworker_line_recipients] == [
        ("officer", "U1", False)]
    assert Settings(caseworker_line_recipients="").caseworker_line_recipients == []
    for bad in ['{"channel": "x"}', '[{"channel": "officer"}]', "not json"]:
        with pytest.raises(CaseworkerRecipientsError):
            Settings(caseworker_line_recipients=bad)


def test_user_texts_exist_in_all_five_languages() -> None:
    user_keys = [key for key, by_language in catalogue().namespace("cases").texts.items()
                 if "all" not in by_language]  # caseworker alerts are one bilingual text
    assert user_keys
    for key in user_keys:
        assert text("cases", key, "th") != text("cases", key, "en")
        assert len({text("cases", key, lang) for lang in ("th", "en", "my", "km", "lo")}) == 5
        assert text("cases", key, "xx") == text("cases", key, "th")  # unknown language: Thai
    alert = text("cases", "renotify", None, id=7, minutes=5, link="http://x/dashboard/cases/7")
    assert "#7" in alert and "http://x/dashboard/cases/7" in alert


def test_htcds_parser_reads_field_rows_and_picklists_only() -> None:
    markdown = """
| Status | Field Name Prefix | Field Name | Field Label | Field Type | Value Names (if picklist) |
| --- | --- | --- | --- | --- | --- |
| DRAFT | cas_ | Status | Status | Picklist | Active FollowUp |
| DRAFT | org_ | Type | Type | Picklist | NGO<br/>LawEnforcement |

| Field Name | Definition |
|---|---|
| MethodsOfControlOther | not a prefixed field table |
"""
    fields = parse_fields(markdown)
    assert set(fields) == {"cas_Status", "org_Type"}
    assert fields["cas_Status"].values == ("Active", "FollowUp")
    assert fields["org_Type"].values == ("NGO", "LawEnforcement")
