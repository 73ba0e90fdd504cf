"""Send a user's message to Rasa's REST channel under their pseudonymous conversation id."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from saphan.settings import Settings


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


def conversation_id(secret_key: str, channel: str, line_user_id: str) -> str:
    """Stable pseudonymous id: HMAC-SHA256(secret key, channel:LINE user id), 32 hex chars."""
    digest = hmac.new(secret_key.encode(), f"{channel}:{line_user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


class RasaBridge:
    """A pooled HTTP client for `POST {rasa_url}/webhooks/rest/webhook`."""

    def __init__(self, settings: Settings) -> None:
        self.url = f"{settings.rasa_url}/webhooks/rest/webhook"
        self.action_health_url = f"{settings.action_server_url}/health"
        self.client = httpx.AsyncClient(timeout=settings.rasa_timeout_s)

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict]:
        """Rasa's responses; raises `RasaUnavailable` on connection errors, timeouts, non-200."""
        try:
            response = await self.client.post(
                self.url, json={"sender": sender, "message": message, "metadata": metadata}
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__} talking to Rasa") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            body = response.json()
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

    async def aclose(self) -> None:
        await self.client.aclose()
