"""The one owner of case state: create, claim, assign, transcript, notes, status, close, refer.

Every function takes the caller's `Session` first and never commits: the edge (a request, the
case runtime, a command) owns the transaction, so a state change and its timestamped
`case_events` row are written together or not at all. Bad input raises a `CaseError` subclass
before anything is written.

Hand-off has one source of truth, `Case.handoff_active`: while it is set the gateway puts the
user's messages into the case (`handoff_case_for`) instead of sending them to Rasa.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, delete, exists, func, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from agencies import store as agency_store
from cases import audit, mdt, stages
from cases.models import Case, CaseEvent, CaseMessage, CaseNote, CaseReferral, Caseworker
from cases.vocab import (
    CLOSED_STATUSES,
    ESCALATION_REASONS,
    MESSAGE_SENDERS,
    NOTE_VISIBILITIES,
    OPEN_STATUSES,
    PRIORITIES,
    SOURCE_REASONS,
    SOURCES,
    STATUSES,
)
from saphan.db import utcnow

MAX_TEXT = 5000
#: The audit log's actor for "delete my data" (asked by the person, done by the system).
ERASURE_ACTOR = "system:erasure"
#: `Case.notify_level`: 0 none yet, 1 the first notice, 2.. WIDE-1 overdue reminders of a
#: non-urgent case (`overdue_reminders_due`), WIDE the wider re-notification of an urgent
#: one (above every reminder, so a case raised to urgent is still notified wider).
WIDE = 1000


class CaseError(ValueError):
    """The request cannot be applied to the case (message says why)."""


class CaseNotFound(CaseError):
    pass


class AlreadyClaimed(CaseError):
    pass


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
    agency_id: int | None = None  # the owning agency (routed); None: the default agency
    reason: str | None = None  # ESCALATION_REASONS; None: the source's (SOURCE_REASONS)

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
        if self.reason is not None and self.reason not in ESCALATION_REASONS:
            raise CaseError(f"reason must be one of {', '.join(ESCALATION_REASONS)}")
        for line in self.transcript:
            if line.get("sender") not in MESSAGE_SENDERS or not str(line.get("text", "")):
                raise CaseError(f"transcript lines need sender in {MESSAGE_SENDERS} and text")


@dataclass(frozen=True)
class Created:
    case: Case
    created: bool  # False: the conversation already had an open case (returned instead)


def record_event(session: Session, case_id: int, kind: str, from_value: str | None = None,
                 to_value: str | None = None, actor_id: int | None = None) -> None:
    """Add one line to the case's timeline (`case_events`); referrals record theirs through
    this too, so every line has the same shape and time source."""
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


def create_case(session: Session, new: NewCase) -> Created:
    """Open a case of `new.agency_id` (the default agency when None) and start the handoff;
    an open case of the conversation is reused (it keeps its agency)."""
    new.validate()
    now = utcnow()
    reason = new.reason or SOURCE_REASONS.get(new.source, "request")
    existing = open_case_for(session, new.conversation_id)
    if existing is not None:  # flood guard: one open case per person, whatever the reason
        record_event(session, existing.id, "escalated", None, new.source)
        record_event(session, existing.id, "reason", None, reason)
        if PRIORITIES.index(new.priority) < PRIORITIES.index(existing.priority):
            record_event(session, existing.id, "priority", existing.priority, new.priority)
            existing.priority = new.priority
        if new.summary and new.summary not in existing.summary:
            existing.summary = f"{existing.summary}\n{new.summary}".strip()[:MAX_TEXT]
        if not existing.handoff_active:
            record_event(session, existing.id, "handoff", "ended", "started")
            existing.handoff_active = True
        existing.updated_at = now
        return Created(existing, False)
    row = Case(
        agency_id=new.agency_id or agency_store.default_agency(session).id,
        conversation_id=new.conversation_id, status="Active", priority=new.priority,
        source=new.source, language=new.language[:8], province=new.province,
        latitude=new.latitude, longitude=new.longitude,
        address=(new.address or None) and new.address[:500], summary=new.summary[:MAX_TEXT],
        screening=json.dumps(new.screening, ensure_ascii=False) if new.screening else None,
        handoff_active=True, notify_level=0, created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    record_event(session, row.id, "created", None, "Active")
    record_event(session, row.id, "handoff", None, "started")
    record_event(session, row.id, "reason", None, reason)
    stages.start(session, row.id, row.agency_id)  # the NRM pathway's first stage
    for line in new.transcript:
        session.add(CaseMessage(case_id=row.id, sender=line["sender"], kind="text",
                                body=str(line["text"])[:MAX_TEXT], at=now))
    return Created(row, True)


def claim(session: Session, case_id: int, caseworker_id: int) -> Case:
    """Take an unassigned case (atomic: of two claims only one wins)."""
    row = _open(session, case_id)
    if row.assignee_id == caseworker_id:
        return row
    now = utcnow()
    won = session.execute(
        update(Case).where(Case.id == case_id, Case.assignee_id.is_(None))
        .values(assignee_id=caseworker_id, claimed_at=now, updated_at=now)
    ).rowcount
    if not won:
        raise AlreadyClaimed(f"case {case_id} is already claimed")
    record_event(session, case_id, "claimed", None, str(caseworker_id), caseworker_id)
    session.refresh(row)
    return row


def assign(session: Session, case_id: int, caseworker_id: int, actor_id: int) -> Case:
    """Give the case to `caseworker_id` (an active account of the owning agency)."""
    row = _open(session, case_id)
    worker = session.get(Caseworker, caseworker_id)
    if worker is None or not worker.active:
        raise CaseError(f"caseworker {caseworker_id} does not exist or is inactive")
    if worker.agency_id != row.agency_id:
        raise CaseError(f"caseworker {caseworker_id} is not of the agency that owns the case")
    previous = row.assignee_id
    row.assignee_id = caseworker_id
    row.claimed_at = row.claimed_at or utcnow()
    row.updated_at = utcnow()
    record_event(session, case_id, "assigned", None if previous is None else str(previous),
           str(caseworker_id), actor_id)
    return row


def add_message(session: Session, case_id: int, sender: str, body: str, kind: str = "text",
                caseworker_id: int | None = None) -> CaseMessage:
    """Append a transcript line (user messages during handoff, caseworker replies...)."""
    if sender not in MESSAGE_SENDERS:
        raise CaseError(f"sender must be one of {MESSAGE_SENDERS}")
    if not body.strip():
        raise CaseError("message is empty")
    if len(body) > MAX_TEXT:
        raise CaseError(f"message is longer than {MAX_TEXT} characters")
    row = _get(session, case_id)
    message = CaseMessage(case_id=case_id, sender=sender, kind=kind, body=body,
                          caseworker_id=caseworker_id, at=utcnow())
    session.add(message)
    row.updated_at = message.at
    session.flush()  # the id is published to live dashboards
    return message


def add_note(session: Session, case_id: int, body: str, author_id: int | None,
             visibility: str = "agency") -> CaseNote:
    """An internal note of the author's agency (the owner's without an author): "agency" =
    only that agency reads it, "case" = every agency the case's notes are shared with
    (`cases.access.visible_notes`)."""
    if visibility not in NOTE_VISIBILITIES:
        raise CaseError(f"visibility must be one of {', '.join(NOTE_VISIBILITIES)}")
    if not body.strip():
        raise CaseError("note is empty")
    if len(body) > MAX_TEXT:
        raise CaseError(f"note is longer than {MAX_TEXT} characters")
    row = _get(session, case_id)
    author = session.get(Caseworker, author_id) if author_id is not None else None
    note = CaseNote(case_id=case_id, author_id=author_id,
                    agency_id=author.agency_id if author is not None else row.agency_id,
                    visibility=visibility, body=body, at=utcnow())
    session.add(note)
    session.flush()
    return note


def change_status(session: Session, case_id: int, status: str, actor_id: int | None) -> Case:
    """Move an open case between Active and FollowUp (closing goes through `close`)."""
    if status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}")
    if status in CLOSED_STATUSES:
        raise CaseError("close a case with an outcome (close), not a status change")
    row = _open(session, case_id)
    if row.status != status:
        record_event(session, case_id, "status", row.status, status, actor_id)
        row.status, row.updated_at = status, utcnow()
    return row


def raise_priority(session: Session, case_id: int, priority: str, reason: str) -> bool:
    """Make an open case at least `priority` because of `reason` (ESCALATION_REASONS), e.g.
    an emergency word the person wrote while waiting; True when it went up."""
    if priority not in PRIORITIES or reason not in ESCALATION_REASONS:
        raise CaseError("unknown priority or reason")
    row = _open(session, case_id)
    if PRIORITIES.index(priority) >= PRIORITIES.index(row.priority):
        return False
    record_event(session, case_id, "priority", row.priority, priority)
    record_event(session, case_id, "reason", None, reason)
    row.priority, row.updated_at = priority, utcnow()
    return True


def end_handoff(session: Session, case_id: int, actor_id: int | None) -> Case:
    """The bot answers the user again (the caller tells the user)."""
    row = _get(session, case_id)
    if row.handoff_active:
        row.handoff_active, row.updated_at = False, utcnow()
        record_event(session, case_id, "handoff", "started", "ended", actor_id)
    return row


def close(session: Session, case_id: int, outcome: str, reason: str,
          actor_id: int | None) -> Case:
    """Close with an outcome (Closed or ClosedReferred) and a reason (cas_ReasonForCaseClosure);
    also ends the handoff."""
    if outcome not in CLOSED_STATUSES:
        raise CaseError(f"outcome must be one of {', '.join(CLOSED_STATUSES)}")
    if not reason.strip():
        raise CaseError("give a reason for closing the case")
    row = _open(session, case_id)
    if outcome == "ClosedReferred" and not session.execute(
        select(CaseReferral.id).where(CaseReferral.case_id == case_id).limit(1)
    ).first():
        raise CaseError("ClosedReferred needs at least one referral")
    now = utcnow()
    record_event(session, case_id, "status", row.status, outcome, actor_id)
    if row.handoff_active:
        record_event(session, case_id, "handoff", "started", "ended", actor_id)
    row.status, row.closure_reason, row.closed_at = outcome, reason[:MAX_TEXT], now
    row.handoff_active, row.updated_at = False, now
    return row


def case_ids_of(session: Session, conversation_id: str) -> list[int]:
    """The ids of every case of a conversation (open or closed)."""
    return list(session.scalars(select(Case.id).where(Case.conversation_id == conversation_id)
                                .order_by(Case.id)))


def erase_conversation(session: Session, conversation_id: str) -> dict[str, int]:
    """"Delete my data" for the case side: each of the conversation's cases is anonymised at
    once (`anonymise_cases`: transcript, notes, summary, screening, closure reason, location,
    referral details and the link to the conversation go; status, dates, priority, source and
    language stay, as the law and the statistics need) and stops its live handoff. A case on
    legal hold keeps its content (the reason the law gives to refuse erasure) and is reported.
    The audit log records that the erasure happened and which cases it touched, nothing else."""
    case_ids = case_ids_of(session, conversation_id)
    held = list(session.scalars(select(Case.id).where(Case.id.in_(case_ids),
                                                      Case.legal_hold.is_(True))))
    erased = [case_id for case_id in case_ids if case_id not in held]
    messages, notes = anonymise_cases(session, erased, "erased")
    if erased:
        session.execute(update(Case).where(Case.id.in_(erased)).values(handoff_active=False))
    for case_id in erased:
        audit.record(session, ERASURE_ACTOR, "erase", case_id, "delete my data")
    for case_id in held:
        audit.record(session, ERASURE_ACTOR, "erase_refused", case_id, "legal hold")
    if not case_ids:
        audit.record(session, ERASURE_ACTOR, "erase", None, "delete my data (no case)")
    return {"cases_anonymised": len(erased), "case_messages_deleted": messages,
            "case_notes_deleted": notes, "cases_on_legal_hold_kept": len(held)}


# -- retention (docs/privacy.md) ------------------------------------------------------------
def set_legal_hold(session: Session, case_id: int, on: bool, reason: str,
                   actor_username: str, actor_id: int | None = None) -> Case:
    """Put a case on legal hold (never anonymised by retention) or release it; who, when and
    why are kept on the case and in its events (the caller writes the audit entry)."""
    reason = reason.strip()
    if on and not reason:
        raise CaseError("give a reason for the legal hold")
    if len(reason) > 300:
        raise CaseError("the legal hold reason is longer than 300 characters")
    row = _get(session, case_id)
    if row.anonymised_at is not None:
        raise CaseError(f"case {case_id} is already anonymised")
    if row.legal_hold != on:
        record_event(session, case_id, "legal_hold", "on" if row.legal_hold else "off",
               "on" if on else "off", actor_id)
    row.legal_hold, row.legal_hold_by, row.legal_hold_at = on, actor_username[:64], utcnow()
    row.legal_hold_reason = reason or None
    return row


def anonymise_closed(session: Session, cutoff: datetime) -> dict[str, int]:
    """Retention: cases closed before `cutoff` and not on legal hold lose everything that can
    identify the person (transcript, notes, summary, screening answers, closure reason,
    location, referral details, the link to the conversation); status, dates, priority, source
    and language stay for the statistics."""
    eligible = (Case.status.in_(CLOSED_STATUSES), Case.closed_at < cutoff,
                Case.anonymised_at.is_(None), Case.legal_hold.is_(False))
    case_ids = list(session.scalars(select(Case.id).where(*eligible)))
    held = session.scalar(select(func.count(Case.id)).where(
        Case.status.in_(CLOSED_STATUSES), Case.closed_at < cutoff,
        Case.anonymised_at.is_(None), Case.legal_hold.is_(True))) or 0
    messages, notes = anonymise_cases(session, case_ids, "anonymised")
    return {"cases_anonymised": len(case_ids), "case_messages_deleted": messages,
            "case_notes_deleted": notes, "cases_on_legal_hold_kept": int(held)}


def anonymise_cases(session: Session, case_ids: list[int], event_kind: str) -> tuple[int, int]:
    """Strip the cases of everything that can identify the person (retention and erasure):
    (messages deleted, notes deleted). A case event `event_kind` records it."""
    if not case_ids:
        return 0, 0
    messages = session.execute(delete(CaseMessage)
                               .where(CaseMessage.case_id.in_(case_ids))).rowcount
    notes = session.execute(delete(CaseNote).where(CaseNote.case_id.in_(case_ids))).rowcount
    from cases import referrals  # the owner of case_referrals (it imports this module)

    referrals.anonymise(session, case_ids)
    stages.anonymise(session, case_ids)
    mdt.anonymise(session, case_ids)
    now = utcnow()
    for case_id in case_ids:  # an id that links to nothing instead of the conversation
        session.execute(update(Case).where(Case.id == case_id).values(
            conversation_id=f"anonymised-{case_id}", summary="", screening=None,
            closure_reason=None, province=None, latitude=None, longitude=None,
            address=None, anonymised_at=now))
        record_event(session, case_id, event_kind)
    return int(messages or 0), int(notes or 0)


def on_legal_hold(session: Session) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.legal_hold.is_(True))
                                .order_by(Case.id)))


# -- reading -------------------------------------------------------------------------------
def get_case(session: Session, case_id: int) -> Case:
    return _get(session, case_id)


def queue(session: Session, among: ColumnElement[bool] | None = None) -> list[Case]:
    """Open cases (`among`: only those matching): urgent first, then high, then normal;
    longest waiting first. (The dashboard's queue, per agency with overdue cases first and
    cut in SQL, is `dashboard.timing.queue`.)"""
    rank = sql_case({p: i for i, p in enumerate(PRIORITIES)}, value=Case.priority)
    stmt = select(Case).where(Case.status.in_(OPEN_STATUSES))
    if among is not None:
        stmt = stmt.where(among)
    return list(session.execute(stmt.order_by(rank, Case.created_at, Case.id)).scalars())


def all_cases(session: Session) -> list[Case]:
    return list(session.execute(select(Case).order_by(Case.id)).scalars())


def transcript(session: Session, case_id: int, after_id: int = 0) -> list[CaseMessage]:
    return list(session.execute(
        select(CaseMessage).where(CaseMessage.case_id == case_id, CaseMessage.id > after_id)
        .order_by(CaseMessage.id)).scalars())


def notes(session: Session, case_id: int) -> list[CaseNote]:
    return list(session.execute(select(CaseNote).where(CaseNote.case_id == case_id)
                                .order_by(CaseNote.id)).scalars())


def reasons(session: Session, case_id: int) -> list[str]:
    """Why the case was opened and escalated again (`ESCALATION_REASONS`), first seen first."""
    found = session.scalars(select(CaseEvent.to_value).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == "reason").order_by(CaseEvent.id))
    return list(dict.fromkeys(code for code in found if code))


def events(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                .order_by(CaseEvent.id)).scalars())


def referrals(session: Session, case_id: int | None = None) -> list[CaseReferral]:
    stmt = select(CaseReferral).order_by(CaseReferral.id)
    if case_id is not None:
        stmt = stmt.where(CaseReferral.case_id == case_id)
    return list(session.execute(stmt).scalars())


@dataclass(frozen=True)
class Exchange:
    """How the conversation of a case stands: its first caseworker reply (None: nobody has
    answered yet) and who wrote last (None: no line)."""

    first_reply_at: datetime | None
    last_sender: str | None


def exchanges(session: Session, case_ids: list[int]) -> dict[int, Exchange]:
    """`Exchange` of each case (two grouped reads, whatever the number of cases)."""
    if not case_ids:
        return {}
    first = dict(session.execute(
        select(CaseMessage.case_id, func.min(CaseMessage.at))
        .where(CaseMessage.case_id.in_(case_ids), CaseMessage.sender == "caseworker")
        .group_by(CaseMessage.case_id)).tuples().all())
    latest = select(func.max(CaseMessage.id)).where(
        CaseMessage.case_id.in_(case_ids)).group_by(CaseMessage.case_id)
    last = dict(session.execute(select(CaseMessage.case_id, CaseMessage.sender)
                                .where(CaseMessage.id.in_(latest))).tuples().all())
    return {case_id: Exchange(first.get(case_id), last.get(case_id)) for case_id in case_ids}


def answered_sql() -> ColumnElement[bool]:
    """SQL twin of `Exchange.first_reply_at is not None`, per `Case` row of the enclosing
    query, so a queue can order and filter on it before reading any row."""
    return exists().where(CaseMessage.case_id == Case.id, CaseMessage.sender == "caseworker")


def last_sender_sql() -> ScalarSelect[str]:
    """SQL twin of `Exchange.last_sender` (the sender of the line with the highest id). The
    order is on `id + 0` so that PostgreSQL reads the case's few lines by `case_id` instead of
    walking the whole table backwards along the primary key (its plan without statistics:
    seconds at 10,000 cases)."""
    return (select(CaseMessage.sender).where(CaseMessage.case_id == Case.id)
            .order_by((CaseMessage.id + 0).desc()).limit(1).scalar_subquery())


def caseworker_wrote_since(session: Session, case_id: int, since: datetime) -> bool:
    """Whether a caseworker wrote to the user in this case at or after `since`."""
    return session.execute(
        select(CaseMessage.id).where(CaseMessage.case_id == case_id,
                                     CaseMessage.sender == "caseworker",
                                     CaseMessage.at >= since).limit(1)
    ).first() is not None


def handoff_case_for(session: Session, conversation_id: str) -> Case | None:
    """The open case holding this conversation in a live handoff, if any."""
    row = open_case_for(session, conversation_id)
    return row if row is not None and row.handoff_active else None


# -- re-notification -------------------------------------------------------------------------
def due_for_renotify(session: Session, after_s: float,
                     now: datetime | None = None) -> list[Case]:
    """Urgent open cases nobody claimed for `after_s` seconds and not yet notified wider."""
    cutoff = (now or utcnow()) - timedelta(seconds=after_s)
    return list(session.execute(
        select(Case).where(Case.priority == "urgent", Case.status.in_(OPEN_STATUSES),
                           Case.assignee_id.is_(None), Case.notify_level < WIDE,
                           Case.created_at <= cutoff)
        .order_by(Case.id)).scalars())


def overdue_reminders_due(session: Session, targets: Mapping[str, float],
                          now: datetime | None = None) -> list[tuple[Case, int]]:
    """Open non-urgent cases nobody claimed past their priority's target (`targets`, seconds;
    `Settings.case_sla_s`), each with the reminder level now due: 1 + the number of whole
    target intervals waited, so one reminder per interval however late the check runs.
    (Urgent cases: `due_for_renotify`.)"""
    now = now or utcnow()
    found = []
    for priority, target_s in targets.items():
        if priority == "urgent" or target_s <= 0:
            continue
        rows = session.execute(
            select(Case).where(Case.priority == priority, Case.status.in_(OPEN_STATUSES),
                               Case.assignee_id.is_(None), Case.notify_level < WIDE - 1,
                               Case.created_at <= now - timedelta(seconds=target_s))).scalars()
        for row in rows:
            intervals = int((now - row.created_at).total_seconds() // target_s)
            level = min(1 + intervals, WIDE - 1)
            if row.notify_level < level:
                found.append((row, level))
    return sorted(found, key=lambda due: due[0].id)


def mark_notified(session: Session, case_id: int, level: int) -> bool:
    """Record that notification `level` went out; False if it already had (another worker)."""
    done = session.execute(update(Case).where(Case.id == case_id, Case.notify_level < level)
                           .values(notify_level=level)).rowcount
    if done:  # the event names the kind of notice: "level 1" first, 2 wider, 3 a reminder
        kind = 1 if level == 1 else 2 if level >= WIDE else 3
        record_event(session, case_id, "notified", None, f"level {kind}")
    return bool(done)
