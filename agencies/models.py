"""The agency table (owner: `agencies.store`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from saphan.db import Base, UTCDateTime


class Agency(Base):
    """An organisation that takes cases: a kind (`agencies.vocab.AGENCY_KINDS`), the provinces
    it covers (English names as in the directory; `national` covers all), a contact for
    hand-overs and the directory services it runs (directory `external_id`s)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    national: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_contact: Mapped[str | None] = mapped_column(String(300), nullable=True)
    directory_services: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Bundled examples: shown marked as examples, refused in production.
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reviewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
