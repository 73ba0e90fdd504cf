"""A PostgreSQL outage while a worker holds an inbox event: the event is finished after the
database returns (no gateway restart) and the user gets the answer exactly once; claims of
vanished workers are released (real PostgreSQL behind a TCP forwarder that is cut)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from gateway import inbox
from gateway.channels import load_channels
from gateway.delivery import Delivery
from gateway.line_sender import LineSender
from gateway.models import DONE, PROCESSING, InboxEvent, OutboxMessage
from gateway.processor import EventProcessor
from gateway.rasa_bridge import RasaBridge
from gateway.transactions import in_session
from gateway.workers import InboxWorkers
from reliability.tcp_cut import TcpCut
from saphan.db import make_engine, reset_caches
from saphan.settings import get_settings
from testsupport.channels import PUBLIC as CHANNEL
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
USER = "Udbout0001"
pytestmark = pytest.mark.postgres


@pytest.fixture
def cut_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[tuple[TcpCut, str]]:
    """(the forwarder, the direct URL); this process's settings reach PostgreSQL through it."""
    with migrated_database("postgresql", tmp_path, POSTGRES_URL) as direct:
        url = make_url(direct)
        cut = TcpCut((url.host or "127.0.0.1", url.port or 5432)).up()
        through = url.set(host="127.0.0.1", port=cut.port).render_as_string(hide_password=False)
        monkeypatch.setenv("SAPHAN_DATABASE_URL", through)
        reset_caches()
        try:
            yield cut, direct
        finally:
            cut.close()
            reset_caches()


class HeldRasa(RasaBridge):
    """Answers only when the test lets it (the database is cut meanwhile)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.called, self.go = asyncio.Event(), asyncio.Event()

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict]:
        self.called.set()
        await self.go.wait()
        return [{"text": f"answer to {message}"}]


class NoHandoff:
    """No conversation is in a hand-off."""

    async def to_case(self, conversation_id: str, text: str,
                      location: dict[str, Any] | None) -> None:
        return None


class HeldSender(LineSender):
    """Delivers for real (fake LINE), but only when the test lets it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.called, self.go = asyncio.Event(), asyncio.Event()

    async def reply(self, *args: Any) -> bool:
        self.called.set()
        await self.go.wait()
        return await super().reply(*args)


def rows(direct: str) -> tuple[list[str], list[bool]]:
    engine = make_engine(direct)
    try:
        with engine.connect() as conn:
            statuses = list(conn.execute(select(InboxEvent.status)).scalars())
            sent = [s is not None for s in conn.execute(select(OutboxMessage.sent_at)).scalars()]
    finally:
        engine.dispose()
    return statuses, sent


@pytest.mark.parametrize("cut_while", ["rasa", "line"])
def test_database_outage_mid_event_finishes_after_recovery_without_duplicates(
        cut_database: tuple[TcpCut, str], cut_while: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut, direct = cut_database
    with FakeLine() as line:
        monkeypatch.setenv("SAPHAN_LINE_API_BASE_URL", line.url)
        monkeypatch.setenv("SAPHAN_LINE_CHANNELS", json.dumps([CHANNEL]))
        monkeypatch.setenv("SAPHAN_INBOX_RETRY_BASE_S", "0.2")
        monkeypatch.setenv("SAPHAN_INBOX_RETRY_MAX_S", "0.5")
        get_settings.cache_clear()
        settings = get_settings()
        in_session(inbox.store_events, "public", [line.text_event(USER, "hello")])

        async def scenario() -> None:
            rasa, sender = HeldRasa(settings), HeldSender(settings)
            held, free = (rasa, sender) if cut_while == "rasa" else (sender, rasa)
            free.go.set()
            delivery = Delivery(settings, load_channels(settings), sender)
            workers = InboxWorkers(EventProcessor(settings, rasa, delivery, NoHandoff()))
            await workers.start()
            try:
                await asyncio.wait_for(held.called.wait(), 10)
                cut.down()  # every connection dropped, new ones refused
                held.go.set()
                await asyncio.sleep(1.5)  # the worker meets the outage
                assert rows_unreachable()
                cut.up()
                for _ in range(200):
                    if rows(direct)[0] == [DONE]:
                        break
                    await asyncio.sleep(0.1)
            finally:
                await workers.stop()
                await rasa.aclose()
                await sender.aclose()

        asyncio.run(scenario())
        statuses, sent = rows(direct)
        assert statuses == [DONE]
        assert sent == [True]
        delivered = [m["text"] for _, m in line.messages_to(USER)]
        assert delivered == ["answer to hello"]  # exactly once


def rows_unreachable() -> bool:
    """The gateway's own database URL is cut (sanity check of the fixture)."""
    try:
        in_session(inbox.users_with_due_events)
    except Exception:
        return True
    return False


def test_claims_of_vanished_workers_are_released(cut_database: tuple[TcpCut, str]) -> None:
    with FakeLine() as line:
        in_session(inbox.store_events, "public", [line.text_event(USER, "one")])
        job = in_session(inbox.claim_next, "public", USER, lease_s=0)  # a worker that vanished
        assert job is not None
        assert in_session(inbox.release_orphans, {job.id}) == 0  # still held by a live worker
        assert in_session(inbox.release_orphans, set()) == 1
        again = in_session(inbox.claim_next, "public", USER)  # lease_s default: a live claim
        assert again is not None and again.id == job.id and again.attempts == 2
        assert in_session(inbox.release_orphans, set()) == 0
    _, direct = cut_database
    assert rows(direct)[0] == [PROCESSING]
