"""Open a case for caseworkers through the gateway's internal case API (`cases.client`)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from actions.conversation import latest_metadata
from cases.client import CaseApiError, CaseClient
from saphan.settings import get_settings

log = logging.getLogger("saphan.actions.escalation")


def shared_location(tracker: Tracker, since_action: str | None = None
                    ) -> dict[str, Any] | None:
    """The latest location the user shared (LINE location message), looking back no further
    than the last run of `since_action` when given."""
    for event in reversed(tracker.events):
        if since_action and event.get("event") == "action" and event.get("name") == since_action:
            return None
        if event.get("event") != "user":
            continue
        location = (event.get("metadata") or {}).get("location")
        if isinstance(location, dict) and location.get("latitude") is not None:
            return location
    return None


async def open_case(tracker: Tracker, *, priority: str, source: str, language: str,
                    summary: str, screening: dict[str, Any] | None = None) -> dict | None:
    """Create (or join) the case of this conversation; None when the case API failed."""
    fields: dict[str, Any] = {
        "conversation_id": tracker.sender_id, "priority": priority, "source": source,
        "language": language, "summary": summary, "screening": screening,
        "province": tracker.get_slot("province"),
    }
    location = shared_location(tracker)
    if location:
        fields.update(latitude=location.get("latitude"), longitude=location.get("longitude"),
                      address=(location.get("address") or None))
    try:
        return await CaseClient.from_settings(get_settings()).create_case(**fields)
    except CaseApiError as exc:
        channel = latest_metadata(tracker).get("channel")
        log.error("case for conversation %s… (channel %s) failed: %s",
                  tracker.sender_id[:8], channel, exc)
        return None
