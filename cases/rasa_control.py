"""Pause and resume Rasa for one conversation (tracker events `pause` / `resume`)."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("saphan.cases.rasa")


async def set_paused(client: httpx.AsyncClient, rasa_url: str, conversation_id: str,
                     paused: bool) -> bool:
    """True when Rasa accepted the event. Failures are logged, not raised: the gateway's
    handoff routing keeps the user's messages away from Rasa either way."""
    event = "pause" if paused else "resume"
    url = f"{rasa_url}/conversations/{conversation_id}/tracker/events"
    try:
        response = await client.post(url, json={"event": event})
    except httpx.HTTPError as exc:
        log.warning("%s of a conversation failed: %s", event, type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("%s of a conversation: Rasa answered HTTP %s", event, response.status_code)
        return False
    return True
