"""Case tables: cases, their state-change events, transcript, notes, referrals; caseworker
accounts and the audit log. Field meanings follow IOM HTCDS `cas_` fields (see htcds.yml)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saphan.crypto import EncryptedText
from saphan.db import Base, UTCDateTime


class Caseworker(Base):
    """A dashboard account (role admin or caseworker); only an argon2 hash is stored."""

    __tablename__ = "caseworkers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
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
    """One escalated conversation (`status` is HTCDS cas_Status)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
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
    """An internal note (never sent to the user)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseReferral(Base):
    """A referral of the case to a directory service (HTCDS outgoing referral)."""

    __tablename__ = "case_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reason: Mapped[str] = mapped_column(String(40))
    details: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="SET NULL"), nullable=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)


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
