"""A directory entry as read from or written to a file, with its validation rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from referral_directory.gazetteer import canonical_province
from referral_directory.hours import parse_hours
from referral_directory.vocab import CONFIDENCE_LEVELS, LANGUAGES, SERVICE_TYPES

PHONE = re.compile(r"^(\+[1-9]\d{6,14}|1\d{2,4})$")  # E.164, or a Thai short code like 1300
EXTERNAL_ID = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ServiceRecord(BaseModel):
    """One service row. `id` is the stable external id that makes re-imports idempotent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    type: str
    name_en: str = Field(min_length=1)
    name_th: str | None = None
    description_en: str | None = None
    description_th: str | None = None
    organisation_id: str | None = None
    organisation_name_en: str | None = None
    organisation_name_th: str | None = None
    address: str | None = None
    province: str | None = None
    district: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    national: bool = False
    phones: list[str] = Field(default_factory=list)
    line_id: str | None = None
    website: str | None = None
    email: str | None = None
    opening_hours: str | None = None
    is_24h: bool = False
    languages: list[str] = Field(default_factory=list)
    cost_notes: str | None = None
    eligibility_notes: str | None = None
    source: str = Field(min_length=1)
    source_url: list[str] = Field(default_factory=list)  # where the facts were read
    source_note: str | None = None  # what the source said (short quote or paraphrase)
    confidence: str
    last_verified: date | None = None  # when the facts were last read or checked
    needs_phone: bool = False  # a real entry whose phone number is still unknown
    sample: bool

    @field_validator("id", "organisation_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        if value is not None and not EXTERNAL_ID.match(value):
            raise ValueError("use 1-100 lower-case letters, digits, '.', '_', ':' or '-'")
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {value!r}; one of {', '.join(SERVICE_TYPES)}")
        return value

    @field_validator("province")
    @classmethod
    def _province(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = canonical_province(value)
        if name is None:
            raise ValueError(f"unknown province {value!r}")
        return name

    @field_validator("phones")
    @classmethod
    def _phones(cls, value: list[str]) -> list[str]:
        cleaned = [re.sub(r"[\s()-]", "", p) for p in value]
        for phone in cleaned:
            if not PHONE.match(phone):
                raise ValueError(f"{phone!r} is neither E.164 (+66...) nor a Thai short code")
        return cleaned

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            if lang not in LANGUAGES:
                raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
        return sorted(set(value), key=value.index)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("website")
    @classmethod
    def _website(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// or http://")
        return value

    @field_validator("source_url", mode="before")
    @classmethod
    def _source_url(cls, value: Any) -> Any:
        urls = [value] if isinstance(value, str) else value
        for url in urls or []:
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise ValueError(f"{url!r}: a source URL must start with https:// or http://")
            if re.search(r"[\s;]", url):
                raise ValueError(f"{url!r}: encode spaces and ';' in a source URL")
        return [] if urls is None else urls

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value:
            parse_hours(value)
        return value or None

    @field_validator("confidence")
    @classmethod
    def _confidence(cls, value: str) -> str:
        if value not in CONFIDENCE_LEVELS:
            raise ValueError(f"one of {', '.join(CONFIDENCE_LEVELS)}")
        return value

    @model_validator(mode="after")
    def _place(self) -> ServiceRecord:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        if not self.national and self.province is None:
            raise ValueError("a local service needs a province (or set national: true)")
        if self.organisation_id is None and self.organisation_name_en:
            raise ValueError("organisation_name_en needs organisation_id")
        if self.needs_phone and self.phones:
            raise ValueError("needs_phone is only for entries without a phone number")
        return self

    def to_flat(self) -> dict[str, Any]:
        """Row for CSV: lists joined with ';', booleans as true/false, None as ''."""
        row: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, list):
                value = ";".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif value is None:
                value = ""
            row[name] = str(value)
        return row


CSV_COLUMNS: tuple[str, ...] = tuple(ServiceRecord.model_fields)
LIST_FIELDS = frozenset({"phones", "languages", "source_url"})


class RecordInvalid(ValueError):
    """A record that fails `ServiceRecord`'s rules; `problems` are (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


def field_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) for each error of a validation ("(entry)" for whole-record rules)."""
    return [(".".join(str(p) for p in err["loc"]) or "(entry)", err["msg"])
            for err in exc.errors()]


def from_flat(row: Mapping[str, str]) -> ServiceRecord:
    """A record from flat text values (a CSV row, a form): list fields ';'-separated, empty
    values absent. The one validation every caller shares; raises `RecordInvalid`."""
    data: dict[str, Any] = {}
    for key, value in row.items():
        value = (value or "").strip()
        if key in LIST_FIELDS:
            data[key] = [v.strip() for v in value.replace("\n", ";").split(";") if v.strip()]
        elif value:
            data[key] = value
    try:
        return ServiceRecord.model_validate(data)
    except ValidationError as exc:
        raise RecordInvalid(field_problems(exc)) from None
