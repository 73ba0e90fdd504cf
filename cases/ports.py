"""What the case runtime needs from the process that hosts it (the gateway implements it).

Cases never import the gateway: the composition root (`gateway/app.py`) hands the runtime an
object with these methods (the gateway's `Delivery`, the one place that sends to LINE).
"""

from __future__ import annotations

from typing import Any, Protocol


class UserMessenger(Protocol):
    """Sends LINE message objects (plain dicts in the Messaging API's JSON shape)."""

    async def send(self, conversation_id: str, messages: list[dict[str, Any]],
                   kind: str) -> None:
        """Deliver to the user of a conversation (recorded in the outbox as `kind`; the reply
        token of the person's newest answered message while it is fresh and unused, else a
        push; a push held because LINE's monthly quota is used up is kept and sent later;
        simulator users: outbox only). Raises `LookupError` when the conversation has no LINE
        user or its channel is not configured, `RuntimeError` when LINE refused."""
        ...

    async def language(self, conversation_id: str) -> str | None:
        """The language the person of a conversation reads now (the one they chose or last
        wrote in), or None when unknown."""
        ...

    async def notify(self, channel_name: str, line_user_id: str,
                     messages: list[dict[str, Any]], retry_key: str) -> None:
        """Push to a configured LINE account (a caseworker), idempotent per `retry_key`."""
        ...
