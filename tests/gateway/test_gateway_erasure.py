""""Delete my data" through the gateway's internal API: each owner erases its own rows in one
transaction, only with the internal token; Rasa's tracker is erased after the turn's lock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from gateway_helpers import SECRET
from sqlalchemy import func, select, text

from gateway.app import create_app
from gateway.models import InboxEvent, LineUser, OutboxMessage
from gateway.rasa_bridge import RasaBridge
from gateway.signature import sign
from saphan.db import make_engine, session_scope
from saphan.settings import get_settings
from testsupport.fake_line import FakeLine

pytestmark = pytest.mark.usefixtures("gateway_env")
TOKEN = {"Authorization": f"Bearer {get_settings().internal_api_token.get_secret_value()}"}


def count(model: type, user: str) -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(model)
                               .where(model.line_user_id == user)).scalar_one()


def test_erase_route_needs_the_token_and_erases_one_users_rows(fake_line: FakeLine) -> None:
    with TestClient(create_app()) as client:
        for user in ("Uerase", "Ukeep"):
            body = fake_line.webhook_body([fake_line.text_event(user, "my name is Aung")])
            response = client.post("/line/public/webhook", content=body,
                                   headers={"X-Line-Signature": sign(SECRET["public"], body)})
            assert response.status_code == 200
            fake_line.wait_for(lambda u=user: count(OutboxMessage, u) and
                               fake_line.messages_to(u), timeout=15)
        with session_scope() as session:
            conversation = session.execute(select(LineUser.conversation_id)
                                           .where(LineUser.line_user_id == "Uerase")).scalar_one()
        url = f"/internal/conversations/{conversation}/erase"
        assert client.post(url).status_code == 401
        assert client.post(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        response = client.post(url, headers=TOKEN)
        assert response.status_code == 200
        report = response.json()
        assert report["outbox_deleted"] >= 1 and report["users_deleted"] == 1
        assert report["cases_anonymised"] == 0
        assert all("Aung" not in p for p in payloads("Uerase"))
        # the LINE id goes too (issue 16), also once an event being answered is finished
        fake_line.wait_for(lambda: count(LineUser, "Uerase") == 0 == count(InboxEvent, "Uerase"))
    assert count(OutboxMessage, "Uerase") == 0
    assert count(OutboxMessage, "Ukeep") >= 1 and all("Aung" in p for p in payloads("Ukeep"))
    assert count(LineUser, "Ukeep") == 1


def payloads(user: str) -> list[str]:
    with session_scope() as session:
        return list(session.execute(select(InboxEvent.payload)
                                    .where(InboxEvent.line_user_id == user)).scalars())


def test_tracker_is_erased_only_after_rasa_released_the_conversation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255))"))
        conn.execute(text("INSERT INTO events (sender_id) VALUES ('a'), ('a'), ('b')"))
    seen: list[tuple[str, int]] = []

    def rasa(request: httpx.Request) -> httpx.Response:  # Rasa's tracker API, lock released
        with engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        seen.append((f"{request.method} {request.url.path}", left))
        return httpx.Response(200, json={})

    async def scenario() -> int:
        bridge = RasaBridge(get_settings().model_copy(update={"tracker_store_url": url}))
        await bridge.client.aclose()
        bridge.client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
        try:
            return await bridge.erase_tracker("a")
        finally:
            await bridge.aclose()

    assert asyncio.run(scenario()) == 2
    assert seen == [("PUT /conversations/a/tracker/events", 3)]  # nothing deleted before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sender_id FROM events")).scalars().all() == ["b"]
    engine.dispose()
