"""The action server's client for the gateway's internal case API.

    client = CaseClient.from_settings(get_settings())
    case = await client.create_case(conversation_id=tracker.sender_id, priority="urgent",
                                    source="emergency", language="th", summary="...")

Escalating starts the hand-off (`handoff_active` on the case): from then on the gateway puts
the user's messages into the case instead of sending them to Rasa, until a caseworker ends it.
"""

from __future__ import annotations

from typing import Any

from saphan.internal_api import InternalApiClient, InternalApiError


class CaseApiError(InternalApiError):
    """The gateway's case API refused or did not answer."""


class CaseClient(InternalApiClient):
    prefix = "/internal/cases"
    error = CaseApiError

    async def create_case(self, **fields: Any) -> dict:
        """Escalate; returns {id, status, priority, handoff_active, created, dashboard_url}."""
        return await self._call("POST", "", fields)

    async def get_case(self, case_id: int) -> dict:
        return await self._call("GET", f"/{case_id}")

    async def add_message(self, case_id: int, sender: str, text: str) -> dict:
        return await self._call("POST", f"/{case_id}/messages", {"sender": sender, "text": text})

    async def add_referral(self, case_id: int, **fields: Any) -> dict:
        return await self._call("POST", f"/{case_id}/referrals", fields)
