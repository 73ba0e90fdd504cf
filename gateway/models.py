"""Gateway tables: LINE users (raw ids live only here), the durable inbox and the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saphan.crypto import EncryptedText
from saphan.db import Base, UTCDateTime

# Inbox event states
PENDING = "pending"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"


class LineUser(Base):
    """A LINE user of one channel with the pseudonymous id Rasa sees instead of the LINE id."""

    __tablename__ = "line_users"
    __table_args__ = (UniqueConstraint("channel", "line_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    line_user_id: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="th")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Languages the person was given the privacy notice in, space-separated ("th my").
    notice_languages: Mapped[str] = mapped_column(String(16), default="", server_default="")


class InboxEvent(Base):
    """One accepted webhook event; committed before the webhook is acknowledged."""

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(64))
    line_user_id: Mapped[str] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(EncryptedText)  # the event JSON as LINE sent it
    reply_token: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reply_token_used: Mapped[bool] = mapped_column(Boolean, default=False)
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fallback_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    redeliveries: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxMessage(Base):
    """A batch of ≤5 messages sent (or being sent) to a user; the retry key makes resends safe."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbox_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_events.id", ondelete="SET NULL"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(64))
    line_user_id: Mapped[str] = mapped_column(String(64), index=True)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # answer | fallback | welcome
    # reply | push | simulator
    method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    messages: Mapped[str] = mapped_column(EncryptedText)  # JSON list of LINE messages
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
