"""What the gateway needs from other parts, as Protocols they implement (the composition root,
`gateway.app`, plugs them in): the gateway itself never imports those parts."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session


class Forwarded(Protocol):
    """A user message that went to a caseworker instead of the bot."""

    @property
    def caseworker_chatting(self) -> bool:
        """A caseworker is chatting live (then the bot stays quiet, except for emergencies)."""
        ...


class HandoffHook(Protocol):
    """Asked before a user's message goes to Rasa (implemented by the case runtime)."""

    def in_handoff(self, session: Session, conversation_id: str) -> bool:
        """Whether the conversation is in a live hand-off, read on the caller's session (the
        claim's transaction) without writing. Optional: without it `to_case` is asked for
        every message."""
        ...

    async def to_case(self, conversation_id: str, text: str,
                      location: dict[str, Any] | None) -> Forwarded | None:
        """`Forwarded` when the conversation is in a live hand-off and the message was put
        into the case (then it must not go to Rasa), else None."""
        ...

    async def delivery_failed(self, conversation_id: str, language: str, emergency: bool,
                              reason: str, said: str = "") -> None:
        """LINE refused a message to this person for good: a caseworker must learn it by
        another route (an emergency opens an urgent case with the words `said`; an open case
        is told)."""
        ...


class OwnerEraser(Protocol):
    """One owner's part of "delete my data": erase what it stores about a conversation on the
    given session (no commit) and report counts, e.g. {"outbox_deleted": 3}."""

    def __call__(self, session: Session, conversation_id: str) -> dict[str, int]: ...
