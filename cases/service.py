"""The one owner of case state: create, claim, assign, transcript, notes, status, close, refer.

Every state change writes a timestamped `case_events` row in the same transaction. Functions
raise `CaseError` subclasses on bad input; nothing is half-written (one transaction each).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.models import Case, CaseEvent, CaseMessage, CaseNote, CaseReferral, Caseworker
from cases.vocab import (
    CLOSED_STATUSES,
    MESSAGE_SENDERS,
    OPEN_STATUSES,
    PRIORITIES,
    REFERRAL_REASONS,
    SOURCES,
    STATUSES,
)
from saphan.db import session_scope

MAX_TEXT = 5000
WIDE = 2  # notify_level after the wider re-notification


class CaseError(ValueError):
    """The request cannot be applied to the case (message says why)."""


class CaseNotFound(CaseError):
    pass


class AlreadyClaimed(CaseError):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they are stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class NewCase:
    """What an action knows when it escalates a conversation."""

    conversation_id: str
    priority: str
    source: str
    language: str = "th"
    summary: str = ""
    province: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    screening: dict[str, Any] | None = None
    transcript: list[dict[str, str]] = field(default_factory=list)  # [{sender, text}]

    def validate(self) -> None:
        if not self.conversation_id or len(self.conversation_id) > 64:
            raise CaseError("conversation_id must be 1-64 characters")
        if self.priority not in PRIORITIES:
            raise CaseError(f"priority must be one of {', '.join(PRIORITIES)}")
        if self.source not in SOURCES:
            raise CaseError(f"source must be one of {', '.join(SOURCES)}")
        if (self.latitude is None) != (self.longitude is None):
            raise CaseError("give both latitude and longitude, or neither")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise CaseError("latitude must be between -90 and 90")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise CaseError("longitude must be between -180 and 180")
        for line in self.transcript:
            if line.get("sender") not in MESSAGE_SENDERS or not str(line.get("text", "")):
                raise CaseError(f"transcript lines need sender in {MESSAGE_SENDERS} and text")


@dataclass(frozen=True)
class Created:
    case: Case
    created: bool  # False: the conversation already had an open case (returned instead)


def _event(session: Session, case_id: int, kind: str, from_value: str | None = None,
           to_value: str | None = None, actor_id: int | None = None) -> None:
    session.add(CaseEvent(case_id=case_id, kind=kind, from_value=from_value, to_value=to_value,
                          actor_id=actor_id, at=utcnow()))


def _get(session: Session, case_id: int) -> Case:
    found = session.get(Case, case_id)
    if found is None:
        raise CaseNotFound(f"case {case_id} does not exist")
    return found


def _open(session: Session, case_id: int) -> Case:
    found = _get(session, case_id)
    if found.status in CLOSED_STATUSES:
        raise CaseError(f"case {case_id} is closed")
    return found


def open_case_for(session: Session, conversation_id: str) -> Case | None:
    return session.execute(
        select(Case).where(Case.conversation_id == conversation_id,
                           Case.status.in_(OPEN_STATUSES)).order_by(Case.id.desc()).limit(1)
    ).scalar_one_or_none()


def create_case(new: NewCase) -> Created:
    """Open a case and start the handoff; an open case of the conversation is reused."""
    new.validate()
    now = utcnow()
    with session_scope() as session:
        existing = open_case_for(session, new.conversation_id)
        if existing is not None:
            if PRIORITIES.index(new.priority) < PRIORITIES.index(existing.priority):
                _event(session, existing.id, "priority", existing.priority, new.priority)
                existing.priority = new.priority
            if not existing.handoff_active:
                _event(session, existing.id, "handoff", "ended", "started")
                existing.handoff_active = True
            existing.updated_at = now
            return Created(existing, False)
        row = Case(
            conversation_id=new.conversation_id, status="Active", priority=new.priority,
            source=new.source, language=new.language[:8], province=new.province,
            latitude=new.latitude, longitude=new.longitude,
            address=(new.address or None) and new.address[:500], summary=new.summary[:MAX_TEXT],
            screening=json.dumps(new.screening, ensure_ascii=False) if new.screening else None,
            handoff_active=True, notify_level=0, created_at=now, updated_at=now,
        )
        session.add(row)
        session.flush()
        _event(session, row.id, "created", None, "Active")
        _event(session, row.id, "handoff", None, "started")
        for line in new.transcript:
            session.add(CaseMessage(case_id=row.id, sender=line["sender"], kind="text",
                                    body=str(line["text"])[:MAX_TEXT], at=now))
        return Created(row, True)


def claim(case_id: int, caseworker_id: int) -> Case:
    """Take an unassigned case (atomic: of two claims only one wins)."""
    with session_scope() as session:
        row = _open(session, case_id)
        if row.assignee_id == caseworker_id:
            return row
        won = session.execute(
            update(Case).where(Case.id == case_id, Case.assignee_id.is_(None))
            .values(assignee_id=caseworker_id, claimed_at=utcnow(), updated_at=utcnow())
        ).rowcount
        if not won:
            raise AlreadyClaimed(f"case {case_id} is already claimed")
        _event(session, case_id, "claimed", None, str(caseworker_id), caseworker_id)
        session.refresh(row)
        return row


def assign(case_id: int, caseworker_id: int, actor_id: int) -> Case:
    """Give the case to `caseworker_id` (an active account)."""
    with session_scope() as session:
        row = _open(session, case_id)
        worker = session.get(Caseworker, caseworker_id)
        if worker is None or not worker.active:
            raise CaseError(f"caseworker {caseworker_id} does not exist or is inactive")
        previous = row.assignee_id
        row.assignee_id = caseworker_id
        row.claimed_at = row.claimed_at or utcnow()
        row.updated_at = utcnow()
        _event(session, case_id, "assigned", None if previous is None else str(previous),
               str(caseworker_id), actor_id)
        return row


def add_message(case_id: int, sender: str, body: str, kind: str = "text",
                caseworker_id: int | None = None) -> CaseMessage:
    """Append a transcript line (user messages during handoff, caseworker replies...)."""
    if sender not in MESSAGE_SENDERS:
        raise CaseError(f"sender must be one of {MESSAGE_SENDERS}")
    if not body.strip():
        raise CaseError("message is empty")
    if len(body) > MAX_TEXT:
        raise CaseError(f"message is longer than {MAX_TEXT} characters")
    with session_scope() as session:
        row = _get(session, case_id)
        message = CaseMessage(case_id=case_id, sender=sender, kind=kind, body=body,
                              caseworker_id=caseworker_id, at=utcnow())
        session.add(message)
        row.updated_at = message.at
        return message


def add_note(case_id: int, body: str, author_id: int) -> CaseNote:
    if not body.strip():
        raise CaseError("note is empty")
    if len(body) > MAX_TEXT:
        raise CaseError(f"note is longer than {MAX_TEXT} characters")
    with session_scope() as session:
        _get(session, case_id)
        note = CaseNote(case_id=case_id, author_id=author_id, body=body, at=utcnow())
        session.add(note)
        return note


def change_status(case_id: int, status: str, actor_id: int | None) -> Case:
    """Move an open case between Active and FollowUp (closing goes through `close`)."""
    if status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}")
    if status in CLOSED_STATUSES:
        raise CaseError("close a case with an outcome (close), not a status change")
    with session_scope() as session:
        row = _open(session, case_id)
        if row.status != status:
            _event(session, case_id, "status", row.status, status, actor_id)
            row.status, row.updated_at = status, utcnow()
        return row


def end_handoff(case_id: int, actor_id: int | None) -> Case:
    """The bot answers the user again (the caller resumes Rasa and tells the user)."""
    with session_scope() as session:
        row = _get(session, case_id)
        if row.handoff_active:
            row.handoff_active, row.updated_at = False, utcnow()
            _event(session, case_id, "handoff", "started", "ended", actor_id)
        return row


def close(case_id: int, outcome: str, reason: str, actor_id: int | None) -> Case:
    """Close with an outcome (Closed or ClosedReferred) and a reason (cas_ReasonForCaseClosure);
    also ends the handoff."""
    if outcome not in CLOSED_STATUSES:
        raise CaseError(f"outcome must be one of {', '.join(CLOSED_STATUSES)}")
    if not reason.strip():
        raise CaseError("give a reason for closing the case")
    with session_scope() as session:
        row = _open(session, case_id)
        if outcome == "ClosedReferred" and not session.execute(
            select(CaseReferral.id).where(CaseReferral.case_id == case_id).limit(1)
        ).first():
            raise CaseError("ClosedReferred needs at least one referral")
        now = utcnow()
        _event(session, case_id, "status", row.status, outcome, actor_id)
        if row.handoff_active:
            _event(session, case_id, "handoff", "started", "ended", actor_id)
        row.status, row.closure_reason, row.closed_at = outcome, reason[:MAX_TEXT], now
        row.handoff_active, row.updated_at = False, now
        return row


def add_referral(case_id: int, service_name: str, reason: str, actor_id: int | None,
                 service_id: int | None = None, organisation: str | None = None,
                 details: str | None = None) -> CaseReferral:
    """Record an outgoing referral (HTCDS ReferredOrganisation / ReasonForOutgoingReferral)."""
    if reason not in REFERRAL_REASONS:
        raise CaseError(f"reason must be one of {', '.join(REFERRAL_REASONS)}")
    if not service_name.strip():
        raise CaseError("service name is empty")
    with session_scope() as session:
        _open(session, case_id)
        referral = CaseReferral(case_id=case_id, service_id=service_id,
                                service_name=service_name[:300],
                                organisation=organisation and organisation[:300], reason=reason,
                                details=details, caseworker_id=actor_id, at=utcnow())
        session.add(referral)
        session.flush()
        _event(session, case_id, "referral", None, service_name[:120], actor_id)
        return referral


# -- reading -------------------------------------------------------------------------------
def get_case(case_id: int) -> Case:
    with session_scope() as session:
        return _get(session, case_id)


def queue() -> list[Case]:
    """Open cases: urgent first, then high, then normal; longest waiting first."""
    rank = sql_case({p: i for i, p in enumerate(PRIORITIES)}, value=Case.priority)
    with session_scope() as session:
        return list(session.execute(
            select(Case).where(Case.status.in_(OPEN_STATUSES))
            .order_by(rank, Case.created_at, Case.id)).scalars())


def all_cases() -> list[Case]:
    with session_scope() as session:
        return list(session.execute(select(Case).order_by(Case.id)).scalars())


def transcript(case_id: int, after_id: int = 0) -> list[CaseMessage]:
    with session_scope() as session:
        return list(session.execute(
            select(CaseMessage).where(CaseMessage.case_id == case_id, CaseMessage.id > after_id)
            .order_by(CaseMessage.id)).scalars())


def notes(case_id: int) -> list[CaseNote]:
    with session_scope() as session:
        return list(session.execute(select(CaseNote).where(CaseNote.case_id == case_id)
                                    .order_by(CaseNote.id)).scalars())


def events(case_id: int) -> list[CaseEvent]:
    with session_scope() as session:
        return list(session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                    .order_by(CaseEvent.id)).scalars())


def referrals(case_id: int | None = None) -> list[CaseReferral]:
    stmt = select(CaseReferral).order_by(CaseReferral.id)
    if case_id is not None:
        stmt = stmt.where(CaseReferral.case_id == case_id)
    with session_scope() as session:
        return list(session.execute(stmt).scalars())


def caseworker_wrote_since(case_id: int, since: datetime) -> bool:
    """Whether a caseworker wrote to the user in this case at or after `since`."""
    with session_scope() as session:
        return session.execute(
            select(CaseMessage.id).where(CaseMessage.case_id == case_id,
                                         CaseMessage.sender == "caseworker",
                                         CaseMessage.at >= since).limit(1)
        ).first() is not None


def handoff_case_for(conversation_id: str) -> Case | None:
    """The open case holding this conversation in a live handoff, if any."""
    with session_scope() as session:
        row = open_case_for(session, conversation_id)
        return row if row is not None and row.handoff_active else None


# -- re-notification -------------------------------------------------------------------------
def due_for_renotify(after_s: float, now: datetime | None = None) -> list[Case]:
    """Urgent open cases nobody claimed for `after_s` seconds and not yet notified wider."""
    cutoff = (now or utcnow()) - timedelta(seconds=after_s)
    with session_scope() as session:
        rows = session.execute(
            select(Case).where(Case.priority == "urgent", Case.status.in_(OPEN_STATUSES),
                               Case.assignee_id.is_(None), Case.notify_level < WIDE)
            .order_by(Case.id)).scalars()
        return [r for r in rows if _aware(r.created_at) <= cutoff]


def mark_notified(case_id: int, level: int) -> bool:
    """Record that notification `level` went out; False if it already had (another worker)."""
    with session_scope() as session:
        done = session.execute(update(Case).where(Case.id == case_id, Case.notify_level < level)
                               .values(notify_level=level)).rowcount
        if done:
            _event(session, case_id, "notified", None, f"level {level}")
        return bool(done)
