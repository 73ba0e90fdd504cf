"""The gateway's one connection to Rasa: send a user's message to Rasa's REST channel under
their pseudonymous conversation id; erase a conversation's tracker ("delete my data")."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import json
import sys
from typing import Any

import aiohttp
import httpx
from sqlalchemy import text

from saphan.db import make_engine, scrub_deleted
from saphan.processes import rasa_status_url, rasa_token
from saphan.settings import Settings

#: Rasa's SQL tracker store table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent).
RASA_EVENTS_TABLE = "events"
#: How long erasure waits for the conversation's current turn (Rasa's lock) to end.
TURN_END_TIMEOUT_S = 60.0


def _fail_sniffio_import_at_once() -> None:
    """httpcore tries `import sniffio` (optional, not installed here) several times per
    request; each failed import searches every `sys.path` entry (about 7 % of the gateway's
    CPU under load, py-spy). Marking it missing makes that import fail at once, as it would
    anyway; an installed sniffio is left alone."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_fail_sniffio_import_at_once()


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


def conversation_id(pseudonym_key: str, channel: str, line_user_id: str) -> str:
    """Pseudonymous id of a new user: HMAC-SHA256(pseudonym key, channel:LINE id), 32 hex chars
    (stored with the user, so a rotated key changes only new users' ids)."""
    digest = hmac.new(pseudonym_key.encode(), f"{channel}:{line_user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def erase_tracker_events(tracker_store_url: str, conversation_id: str) -> int:
    """Delete all of the conversation's events from Rasa's SQL tracker store, then scrub the
    deleted bytes from its files (`saphan.db.scrub_deleted`)."""
    engine = make_engine(tracker_store_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(
                text(f"DELETE FROM {RASA_EVENTS_TABLE} WHERE sender_id = :sender"),
                {"sender": conversation_id},
            )
        scrub_deleted(engine, [RASA_EVENTS_TABLE])
        return int(result.rowcount or 0)
    finally:
        engine.dispose()


class RasaBridge:
    """A pooled HTTP client for Rasa (`POST {rasa_url}/webhooks/rest/webhook`, which needs no
    token, and the HTTP API: status, tracker, sent with Rasa's auth token) and the action
    server's health check.

    Each message goes out on an aiohttp session (`send`): httpx cost ≈ 1.2 ms more CPU per
    request (measured against the same local server: 1.45 vs 0.24 ms per request, server
    included), one message's largest single cost in the gateway. The rarer calls keep httpx.
    Both time out after `rasa_timeout_s` without progress (connecting, or waiting for the
    answer), as httpx's per-phase timeout did."""

    def __init__(self, settings: Settings) -> None:
        self.rasa_url = settings.rasa_url
        self.url = f"{settings.rasa_url}/webhooks/rest/webhook"
        self.status_url = rasa_status_url(settings)  # Rasa's HTTP API needs its auth token
        self.auth = {"token": rasa_token(settings)}
        self.action_health_url = f"{settings.action_server_url}/health"
        self.tracker_store_url = settings.tracker_store_url
        self.client = httpx.AsyncClient(timeout=settings.rasa_timeout_s)
        self.timeout = aiohttp.ClientTimeout(total=None, connect=settings.rasa_timeout_s,
                                             sock_read=settings.rasa_timeout_s)
        self._session: aiohttp.ClientSession | None = None  # made in the running loop

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict]:
        """Rasa's responses; raises `RasaUnavailable` on connection errors, timeouts, non-200."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        payload = {"sender": sender, "message": message, "metadata": metadata}
        try:
            async with self._session.post(
                self.url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
            ) as response:
                status, raw = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"{type(exc).__name__} talking to Rasa") from exc
        if status != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {status}")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise RasaUnavailable("Rasa answered with invalid JSON") from exc
        if not isinstance(body, list):
            raise RasaUnavailable("Rasa answered with an unexpected shape")
        return body

    async def action_server_up(self) -> bool:
        """Whether the action server answers its health check (Rasa hides its failures)."""
        try:
            response = await self.client.get(self.action_health_url, timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def erase_tracker(self, conversation_id: str) -> int:
        """Wait for the conversation's current turn to end, then delete its tracker events.

        Called while the "delete my data" action runs: Rasa saves that turn after the action
        returns, and its SQL tracker store only appends. `PUT .../tracker/events` takes the
        conversation lock, so it waits for the turn to end (with an empty list it stores
        nothing); then the rows are deleted."""
        response = await self.client.put(
            f"{self.rasa_url}/conversations/{conversation_id}/tracker/events", json=[],
            params=self.auth, timeout=TURN_END_TIMEOUT_S)
        response.raise_for_status()
        return await asyncio.to_thread(erase_tracker_events, self.tracker_store_url,
                                       conversation_id)

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._session is not None:
            await self._session.close()
