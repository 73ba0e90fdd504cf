"""Case tables: cases, their state-change events, transcript, notes, referrals and hand-overs
between agencies, the agencies a case is shared with, NRM stage changes, MDT conferences;
caseworker accounts and the audit log. Field meanings follow IOM HTCDS `cas_` fields (see
htcds.yml)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saphan.crypto import EncryptedJSON, EncryptedText
from saphan.db import Base, UTCDateTime


class Caseworker(Base):
    """A dashboard account of one agency with a role (`cases.vocab.ROLES`); only an argon2
    hash is stored."""

    __tablename__ = "caseworkers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True,
                                                  index=True)  # set always; NULL only in SQL
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: deactivated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseworkerSession(Base):
    """A dashboard login, server-side so logout, expiry and deactivation hold on every gateway
    replica; only a SHA-256 of the cookie's random id is stored."""

    __tablename__ = "caseworker_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginThrottle(Base):
    """Recent failed logins of one (account name, client address) pair, keyed by a keyed hash
    of the pair (neither is stored in clear)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Case(Base):
    """One escalated conversation (`status` is HTCDS cas_Status). `agency_id` is the owning
    agency (routed at creation); other agencies see the case through `CaseAccess`;
    `assignee_id` is the owning agency's caseworker."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True,
                                                  index=True)  # set always; NULL only in SQL
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(8))
    province: Mapped[str | None] = mapped_column(String(60), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)  # ≤500
    summary: Mapped[str] = mapped_column(EncryptedText, default="")
    screening: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)  # JSON
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    handoff_active: Mapped[bool] = mapped_column(Boolean, default=False)
    closure_reason: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    notify_level: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Retention (docs/privacy.md): a case on legal hold is never anonymised; who/when/why.
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    legal_hold_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    legal_hold_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseEvent(Base):
    """A timestamped state change of a case (created, claimed, status, handoff...)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    from_value: Mapped[str | None] = mapped_column(String(120), nullable=True)
    to_value: Mapped[str | None] = mapped_column(String(120), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseMessage(Base):
    """One transcript line: from the user, the bot, or a caseworker (text or service cards)."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # user | bot | caseworker | system
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text | services
    body: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseNote(Base):
    """An internal note (never sent to the user). `visibility` (`cases.vocab.NOTE_VISIBILITIES`):
    "agency" = only the author's agency, "case" = every agency the notes are shared with."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True,
                                                  index=True)  # set always; NULL only in SQL
    visibility: Mapped[str] = mapped_column(String(8), default="agency")
    body: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseReferral(Base):
    """A referral of the case (HTCDS outgoing referral): to a directory service (a record,
    `state` "recorded"), to another agency (a hand-over: "pending" until the receiver accepts
    or declines), or both. The person's consent to share is recorded with it; without consent
    only an anonymous notice reaches the receiver, unless an audited emergency override."""

    __tablename__ = "case_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True,
                                                     index=True)
    state: Mapped[str] = mapped_column(String(12), default="recorded", index=True)
    #: What the receiver sees on accept (`cases.vocab.SHARE_ITEMS`); [] without consent.
    shares: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary_for_receiver: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    consent: Mapped[str] = mapped_column(String(12), default="not_asked")
    consent_method: Mapped[str | None] = mapped_column(String(24), nullable=True)
    consent_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    consent_by: Mapped[int | None] = mapped_column(ForeignKey("caseworkers.id"), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    override_reason: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("caseworkers.id"), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    service_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseAccess(Base):
    """Another agency's access to a case, granted by an accepted referral: what it sees
    (`shares`, chosen by the referring agency) and its own caseworker on the case."""

    __tablename__ = "case_access"
    __table_args__ = (UniqueConstraint("case_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_referrals.id", ondelete="SET NULL"), nullable=True
    )
    shares: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseStage(Base):
    """One move of the case along the NRM pathway (`nrm/data/pathway.yml`); the newest row is
    the case's stage. `record` holds what the transition records; `due_at` a time limit."""

    __tablename__ = "case_stages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    record: Mapped[dict[str, object] | None] = mapped_column(EncryptedJSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MdtConference(Base):
    """A multidisciplinary-team case conference: who attended (agency and role), the
    identification decision and its basis, next steps with owners and due dates."""

    __tablename__ = "mdt_conferences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    decision: Mapped[str] = mapped_column(String(20))
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    basis: Mapped[str] = mapped_column(EncryptedText)
    next_steps: Mapped[list[dict[str, object]]] = mapped_column(EncryptedJSON, default=list)
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgencyLabel(Base):
    """A label an agency keeps for its cases (owner: `cases.labels`); retired labels stay on
    the cases that have them but cannot be chosen again."""

    __tablename__ = "agency_labels"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"),
                                           index=True)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseLabel(Base):
    """A label on a case; each agency on a case sees only its own labels."""

    __tablename__ = "case_labels"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("agency_labels.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who viewed or changed what (kept when the account or case is deleted)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    detail: Mapped[str | None] = mapped_column(String(300), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationWindow(Base):
    """Caseworker LINE notifications sent and held in one fixed window, per scope ("global" or
    a person's hashed conversation id); shared by every gateway replica through the database."""

    __tablename__ = "case_notification_windows"
    __table_args__ = (UniqueConstraint("scope", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
