"""Case vocabularies: status and referral reasons come from HTCDS; priority and source are ours."""

from __future__ import annotations

from cases.htcds import picklist

STATUSES: tuple[str, ...] = picklist("cas_Status")  # Active FollowUp Closed ClosedReferred
OPEN_STATUSES = ("Active", "FollowUp")
CLOSED_STATUSES = ("Closed", "ClosedReferred")
REFERRAL_REASONS: tuple[str, ...] = picklist("cas_ReasonForOutgoingReferral")
PRIORITIES = ("urgent", "high", "normal")  # queue order
SOURCES = ("emergency", "request", "self-report", "officer screening")
ROLES = ("admin", "caseworker")
MESSAGE_SENDERS = ("user", "bot", "caseworker", "system")

assert set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(STATUSES), "HTCDS status list changed"
