"""Screening tables: enrolled officers, single-use enrollment codes, finished screenings.

No names are stored: an officer is known by agency, role and the pseudonymous conversation
id of their LINE chat; a screening record holds answers and the result, and free-text notes
only encrypted (see `screening.notes`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from saphan.crypto import TOKEN_COLUMN, EncryptedText
from saphan.db import Base, UTCDateTime


class EnrollmentCode(Base):
    """A single-use code an admin gives an officer; only its SHA-256 hash is stored."""

    __tablename__ = "enrollment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Officer(Base):
    """An enrolled officer: screening is open to them until `revoked_at` is set."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_user: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(60))
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment_codes.id", ondelete="SET NULL"), nullable=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScreeningRow(Base):
    """A finished screening (`screening.records.ScreeningRecord` plus encrypted notes)."""

    __tablename__ = "screening_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    agency: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    questionnaire_version: Mapped[str] = mapped_column(String(40))
    context: Mapped[str] = mapped_column(EncryptedText)  # JSON object
    answers: Mapped[str] = mapped_column(EncryptedText)  # JSON object
    result: Mapped[str] = mapped_column(EncryptedText)  # JSON of ScreeningResult.to_dict()
    category: Mapped[str] = mapped_column(String(40))
    stopped_early: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "officer" or "person" (the person answered on the phone: `screening.person_mode`).
    answered_by: Mapped[str] = mapped_column(String(16), default="officer",
                                             server_default="officer")
    person_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: The person answered through texts not yet reviewed by a native speaker.
    drafts_shown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notes_encrypted: Mapped[str | None] = mapped_column(  # a token of saphan.crypto
        Text, nullable=True, info={TOKEN_COLUMN: True})
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PracticeRun(Base):
    """A finished practice screening (owner: `screening.practice_runs`): a fictional case,
    so the feedback is kept for the trainer's cohort view; never a screening record."""

    __tablename__ = "practice_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    agency: Mapped[str] = mapped_column(String(120))
    #: The training cohort the officer practised in (e.g. a course code); None: none given.
    cohort: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)
    case_key: Mapped[str] = mapped_column(String(60))  # practice case id in practice_cases.yml
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expected_category: Mapped[str] = mapped_column(String(40))
    recorded_category: Mapped[str] = mapped_column(String(40))
    right_result: Mapped[bool] = mapped_column(Boolean)
    missed: Mapped[list[str]] = mapped_column(JSON, default=list)  # indicator ids
    wrong: Mapped[list[str]] = mapped_column(JSON, default=list)
    not_asked: Mapped[list[str]] = mapped_column(JSON, default=list)
    interactions: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
