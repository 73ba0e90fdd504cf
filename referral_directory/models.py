"""Directory tables: organisations and the services they offer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saphan.db import Base, UTCDateTime


class Organisation(Base):
    """An organisation (agency, NGO, embassy) that runs one or more services."""

    __tablename__ = "directory_organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_th: Mapped[str | None] = mapped_column(String(300))
    services: Mapped[list[Service]] = relationship(back_populates="organisation")


class Service(Base):
    """One service people can be referred to (a shelter, a hotline, an embassy desk...)."""

    __tablename__ = "directory_services"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        # nearest-N: equality on type, range on latitude, filter on longitude inside the index
        Index("ix_directory_services_type_lat_lon", "service_type", "latitude", "longitude"),
        Index("ix_directory_services_province_type", "province", "service_type"),
        Index("ix_directory_services_national_type", "national", "service_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("directory_organisations.id", ondelete="SET NULL"), index=True
    )
    service_type: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(300))
    name_th: Mapped[str | None] = mapped_column(String(300))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_th: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(60))
    district: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    national: Mapped[bool] = mapped_column(Boolean, default=False)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    line_id: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    opening_hours: Mapped[str | None] = mapped_column(String(300))
    is_24h: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    cost_notes: Mapped[str | None] = mapped_column(Text)
    eligibility_notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    source_url: Mapped[list[str]] = mapped_column(JSON, default=list)  # migration 0005
    source_note: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(20))
    last_verified: Mapped[date | None] = mapped_column(Date)
    needs_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    # migration 0010: retired = kept with its history, hidden from every search and card
    retired_on: Mapped[date | None] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(String(64))  # username of the last verify
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=func.now(), onupdate=func.now()
    )

    organisation: Mapped[Organisation | None] = relationship(back_populates="services")


class ServiceChange(Base):
    """One change people made to a service (owner: `referral_directory.history`): who, when,
    what (created/edited/verified/retired/restored) and the fields' old and new values."""

    __tablename__ = "directory_service_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(300))
