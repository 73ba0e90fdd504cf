"""The action server's client for the gateway's internal case API.

    client = CaseClient.from_settings(get_settings())
    case = await client.create_case(conversation_id=tracker.sender_id, priority="urgent",
                                    source="emergency", language="th", summary="...")

After escalating, the action should also return rasa-sdk's `ConversationPaused()` event: the
gateway pauses the conversation too, but only once Rasa has released the conversation lock.
"""

from __future__ import annotations

from typing import Any

import httpx

from saphan.settings import Settings


class CaseApiError(RuntimeError):
    """The gateway refused or did not answer (message includes the HTTP status)."""


class CaseClient:
    def __init__(self, gateway_url: str, token: str, timeout_s: float = 10.0) -> None:
        self.base = f"{gateway_url.rstrip('/')}/internal/cases"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> CaseClient:
        return cls(settings.gateway_url, settings.internal_api_token.get_secret_value())

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.request(method, f"{self.base}{path}", json=body,
                                                headers=self.headers)
        except httpx.HTTPError as exc:
            raise CaseApiError(f"case API unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise CaseApiError(f"case API answered HTTP {response.status_code}: "
                               f"{response.text[:300]}")
        return response.json()

    async def create_case(self, **fields: Any) -> dict:
        """Escalate; returns {id, status, priority, handoff_active, created, dashboard_url}."""
        return await self._call("POST", "", fields)

    async def get_case(self, case_id: int) -> dict:
        return await self._call("GET", f"/{case_id}")

    async def add_message(self, case_id: int, sender: str, text: str) -> dict:
        return await self._call("POST", f"/{case_id}/messages", {"sender": sender, "text": text})

    async def add_referral(self, case_id: int, **fields: Any) -> dict:
        return await self._call("POST", f"/{case_id}/referrals", fields)
