"""The action server's client for "delete my data": the gateway erases the conversation
(`POST /internal/conversations/{id}/erase`, bearer internal token; see `gateway/erasure.py`),
each owner its own data, and Rasa's tracker once the current turn has ended."""

from __future__ import annotations

from saphan.internal_api import InternalApiClient, InternalApiError


class ErasureError(InternalApiError):
    """The gateway's erasure API refused or did not answer."""


class ErasureClient(InternalApiClient):
    prefix = "/internal/conversations"
    error = ErasureError
    timeout_s = 30.0  # the gateway erases every owner's rows in one transaction

    async def erase(self, conversation_id: str) -> dict[str, int]:
        """What each owner erased or kept, e.g. {"inbox_deleted": 3, "cases_kept": 1, …}."""
        return await self._call("POST", f"/{conversation_id}/erase")
