"""Open a case for caseworkers through the gateway's internal case API (`cases.client`)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from actions.conversation import latest_metadata
from cases.client import CaseApiError, CaseClient
from saphan.settings import get_settings

log = logging.getLogger("saphan.actions.escalation")
#: At most this many turns of the session go into a new case (the case API takes 200).
TRANSCRIPT_TURNS = 80
MAX_LINE = 5000


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


def case_province(tracker: Tracker) -> str | None:
    """The province for routing the case: the slot, else a province named in the message that
    escalates (the slot mapping skips emergency/request_human messages, but "locked in a
    factory in Mae Sot" must still reach the agencies covering Tak)."""
    return tracker.get_slot("province") or next(tracker.get_latest_entity_values("province"),
                                                None)


def session_transcript(tracker: Tracker) -> list[dict[str, str]]:
    """What the person wrote and what the bot answered since this conversation session
    started, oldest first: the caseworker reads the words that led to the case (the message
    that escalates is the last user line). Button payloads ("/intent") carry no words and are
    left out; at most `TRANSCRIPT_TURNS` lines, the latest."""
    lines: list[dict[str, str]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started":
            break
        body = str(event.get("text") or "").strip()
        if kind not in ("user", "bot") or not body or (kind == "user" and body.startswith("/")):
            continue
        lines.append({"sender": kind, "text": body[:MAX_LINE]})
        if len(lines) >= TRANSCRIPT_TURNS:
            break
    return lines[::-1]


def escalation_reason(tracker: Tracker, source: str,
                      screening: dict[str, Any] | None = None) -> str | None:
    """Why an emergency case is opened (a code of `cases.vocab.ESCALATION_REASONS`, shown to
    the caseworker in the interface language): the safety-net keyword, the emergency
    classifier (another intent ranked first), a danger answer of the self-report, or the NLU's
    emergency intent. None for other sources: the case API takes the source's reason."""
    if source != "emergency":
        return None
    if screening and "report" in screening:
        return "danger_answer"
    net = tracker.latest_message.get("safety_net") or {}
    if net.get("keyword"):
        return "keyword"
    if "emergency_confidence" in net:
        return "classifier"
    return "intent"


async def open_case(tracker: Tracker, *, priority: str, source: str, language: str,
                    summary: str, screening: dict[str, Any] | None = None) -> dict | None:
    """Create (or join) the case of this conversation with the session's transcript and the
    reason for escalating; None when the case API failed."""
    fields: dict[str, Any] = {
        "conversation_id": tracker.sender_id, "priority": priority, "source": source,
        "language": language, "summary": summary, "screening": screening,
        "province": case_province(tracker),
        "reason": escalation_reason(tracker, source, screening),
        "transcript": session_transcript(tracker),
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
