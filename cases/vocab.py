"""Case vocabularies: status and referral reasons come from HTCDS; priority and source are ours."""

from __future__ import annotations

from cases.htcds import picklist

STATUSES: tuple[str, ...] = picklist("cas_Status")  # Active FollowUp Closed ClosedReferred
OPEN_STATUSES = ("Active", "FollowUp")
CLOSED_STATUSES = ("Closed", "ClosedReferred")
REFERRAL_REASONS: tuple[str, ...] = picklist("cas_ReasonForOutgoingReferral")
PRIORITIES = ("urgent", "high", "normal")  # queue order
SOURCES = ("emergency", "request", "self-report", "officer screening")
#: caseworker: the agency's cases, changes only where unclaimed or claimed by them; supervisor:
#: sees and assigns all the agency's cases; agency_admin: + the agency's accounts;
#: system_admin: + agencies and every account (not other agencies' cases).
ROLES = ("caseworker", "supervisor", "agency_admin", "system_admin")
NOTE_VISIBILITIES = ("agency", "case")  # own agency only / every agency the notes are shared with
#: What a referring agency can share with the receiver ("summary" = its summary for them).
SHARE_ITEMS = ("summary", "conversation", "screening", "notes", "location")
REFERRAL_STATES = ("recorded", "pending", "accepted", "declined", "withdrawn")
CONSENTS = ("given", "refused", "not_asked", "override")
CONSENT_METHODS = ("in_person", "chat", "phone", "interpreter")
MESSAGE_SENDERS = ("user", "bot", "caseworker", "system")
#: Why a case was opened (stored as its "reason" events; the dashboard names each from the
#: catalogue, `reason_<code>`): an emergency keyword (safety net), the emergency classifier
#: although another intent ranked first, the NLU's emergency intent, a danger answer in the
#: self-report, a request for a person, a self-report, an officer screening, and the gateway's
#: own net (an emergency message LINE refused to answer).
ESCALATION_REASONS = ("keyword", "classifier", "intent", "danger_answer", "request",
                      "self_report", "screening", "delivery_failed")
#: The reason of a case of each source when the caller gives none.
SOURCE_REASONS = {"emergency": "intent", "request": "request", "self-report": "self_report",
                  "officer screening": "screening"}

assert set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(STATUSES), "HTCDS status list changed"
