"""The agencies table (the only writer): look-ups, validated input (`AgencyIn`), add, update,
activate/deactivate. Session-first; the caller owns the transaction.

Provinces are the directory gazetteer's canonical English names (`referral_directory.gazetteer`,
Thai names and abbreviations are accepted and normalised), so an agency's coverage and the
directory speak of the same provinces; `national` covers every province."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agencies.models import Agency
from agencies.vocab import AGENCY_KINDS, DEFAULT_AGENCY_CODE
from referral_directory.gazetteer import canonical_province
from referral_directory.models import Service
from saphan.db import utcnow

CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
SERVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
NATIONAL = "national"  # in a province list: covers every province
MAX_NAME = 200
MAX_CONTACT = 300
MAX_SOURCE = 300


class AgencyError(ValueError):
    """Bad agency input or an unknown agency; the message names the field (safe to show)."""


class AgencyNotFound(AgencyError):
    pass


@dataclass(frozen=True)
class AgencyIn:
    """What an agency is made of, before it is stored. `validated()` returns the normalised
    copy (code lower-case, provinces canonical, `national` moved out of the province list) or
    raises `AgencyError` naming the field."""

    code: str
    name_th: str
    name_en: str
    kind: str
    provinces: tuple[str, ...] = ()
    national: bool = False
    handover_contact: str | None = None
    directory_services: tuple[str, ...] = ()
    example: bool = False
    source: str | None = None
    reviewed_on: date | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "agency") -> AgencyIn:
        """From YAML, a form or CLI options: unknown keys and wrong types are errors naming
        `where` and the key. Lists may also be given as comma-separated text."""
        if not isinstance(data, Mapping):
            raise AgencyError(f"{where}: expected a mapping of agency fields")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise AgencyError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
        missing = [k for k in ("code", "name_th", "name_en", "kind") if not data.get(k)]
        if missing:
            raise AgencyError(f"{where}: {missing[0]} is required")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("provinces", "directory_services"):
                values[key] = _str_list(value, f"{where}: {key}")
            elif key in ("national", "example"):
                values[key] = _flag(value, f"{where}: {key}")
            elif key == "reviewed_on":
                values[key] = _day(value, f"{where}: {key}")
            elif value is None or isinstance(value, str):
                values[key] = value
            else:
                raise AgencyError(f"{where}: {key} must be text")
        try:
            return cls(**values).validated()
        except AgencyError as exc:
            raise AgencyError(f"{where}: {exc}") from None

    def validated(self) -> AgencyIn:
        code = (self.code or "").strip().lower()
        if not CODE.match(code):
            raise AgencyError("code: 1-40 lower-case letters, digits or '-' (not at either end)")
        names = {}
        for key in ("name_th", "name_en"):
            name = " ".join((getattr(self, key) or "").split())
            if not name:
                raise AgencyError(f"{key} is required")
            if len(name) > MAX_NAME:
                raise AgencyError(f"{key}: at most {MAX_NAME} characters")
            names[key] = name
        kind = (self.kind or "").strip()
        if kind not in AGENCY_KINDS:
            raise AgencyError(f"kind {kind!r} is not one of {', '.join(AGENCY_KINDS)}")
        national = bool(self.national)
        provinces: list[str] = []
        for given in self.provinces:
            if given.strip().lower() == NATIONAL:
                national = True
                continue
            province = canonical_province(given)
            if province is None:
                raise AgencyError(f"provinces: {given!r} is not a Thai province (English or "
                                  f"Thai name as in the directory's gazetteer) or 'national'")
            if province not in provinces:
                provinces.append(province)
        contact = _optional_text(self.handover_contact, "handover_contact", MAX_CONTACT)
        services: list[str] = []
        for service in self.directory_services:
            service = service.strip()
            if not SERVICE_ID.match(service):
                raise AgencyError(f"directory_services: {service!r} is not a directory id")
            if service not in services:
                services.append(service)
        if self.reviewed_on is not None and not isinstance(self.reviewed_on, date):
            raise AgencyError("reviewed_on must be a date (YYYY-MM-DD)")
        return replace(self, code=code, kind=kind, provinces=tuple(provinces),
                       national=national, handover_contact=contact,
                       directory_services=tuple(services), example=bool(self.example),
                       source=_optional_text(self.source, "source", MAX_SOURCE), **names)


def _optional_text(value: str | None, key: str, limit: int) -> str | None:
    value = " ".join((value or "").split())
    if len(value) > limit:
        raise AgencyError(f"{key}: at most {limit} characters")
    return value or None


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise AgencyError(f"{where} must be a list of text")


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("", "0", "false", "no", "off"):
        return False
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    raise AgencyError(f"{where} must be true or false")


def _day(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AgencyError(f"{where} must be a date (YYYY-MM-DD)") from None


# --- look-ups --------------------------------------------------------------------------------

def get(session: Session, agency_id: int) -> Agency:
    row = session.get(Agency, agency_id)
    if row is None:
        raise AgencyNotFound(f"no agency with id {agency_id}")
    return row


def by_code(session: Session, code: str) -> Agency:
    row = session.execute(select(Agency).where(
        Agency.code == code.strip().lower())).scalar_one_or_none()
    if row is None:
        raise AgencyNotFound(f"no agency {code.strip().lower()!r}")
    return row


def find(session: Session, code: str) -> Agency | None:
    return session.execute(select(Agency).where(
        Agency.code == code.strip().lower())).scalar_one_or_none()


def default_agency(session: Session) -> Agency:
    """The agency accounts and cases fall back to (created by migration 0009)."""
    row = find(session, DEFAULT_AGENCY_CODE)
    if row is None:
        raise AgencyNotFound(f"the default agency {DEFAULT_AGENCY_CODE!r} is missing; "
                             f"run `saphan db upgrade`")
    return row


def all_agencies(session: Session, active_only: bool = True,
                 examples: bool = True) -> list[Agency]:
    """Agencies by code, real ones first; `examples=False` (production pickers) leaves the
    bundled examples out."""
    query = select(Agency).order_by(Agency.example, Agency.code)
    if active_only:
        query = query.where(Agency.active.is_(True))
    if not examples:
        query = query.where(Agency.example.is_(False))
    return list(session.execute(query).scalars())


def name(agency: Agency, language: str) -> str:
    """The agency's name to show: Thai for Thai, English for every other language."""
    return agency.name_th if language == "th" else agency.name_en


# --- writes ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _bundled_service_ids() -> frozenset[str]:
    """Ids of the directory entries shipped with Saphan (loaded at every start)."""
    from referral_directory.bundled import bundled_records

    return frozenset(record.id for record in bundled_records())


def _check_services(session: Session, ids: Iterable[str]) -> None:
    """Every directory id must be a directory service (in the database or bundled)."""
    wanted = set(ids)
    if not wanted:
        return
    found = set(session.execute(select(Service.external_id).where(
        Service.external_id.in_(wanted))).scalars())
    missing = wanted - found
    if missing:
        missing -= _bundled_service_ids()
    if missing:
        raise AgencyError(f"directory_services: unknown directory service(s) "
                          f"{', '.join(sorted(missing))}")


def _write(row: Agency, data: AgencyIn) -> None:
    values = asdict(data)
    values["provinces"] = list(data.provinces)
    values["directory_services"] = list(data.directory_services)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()


def add(session: Session, data: AgencyIn) -> Agency:
    """A new, active agency; raises `AgencyError` for bad input or a code that is taken."""
    data = data.validated()
    if find(session, data.code) is not None:
        raise AgencyError(f"code: agency {data.code!r} exists already")
    _check_services(session, data.directory_services)
    row = Agency(active=True, created_at=utcnow())
    _write(row, data)
    session.add(row)
    session.flush()
    return row


def update(session: Session, code: str, data: AgencyIn) -> Agency:
    """Replace the fields of agency `code` with `data` (the code itself may change unless it
    is the default agency's)."""
    row = by_code(session, code)
    data = data.validated()
    if data.code != row.code:
        if row.code == DEFAULT_AGENCY_CODE:
            raise AgencyError(f"code: the default agency keeps the code {DEFAULT_AGENCY_CODE!r}")
        if find(session, data.code) is not None:
            raise AgencyError(f"code: agency {data.code!r} exists already")
    _check_services(session, data.directory_services)
    _write(row, data)
    session.flush()
    return row


def upsert(session: Session, data: AgencyIn) -> tuple[Agency, bool]:
    """Create or update by code (imports, bundled examples); returns (row, created). The
    active flag of an existing agency is left as it is."""
    data = data.validated()
    row = find(session, data.code)
    if row is None:
        return add(session, data), True
    return update(session, row.code, data), False


def set_active(session: Session, code: str, active: bool) -> Agency:
    """Deactivate (no routing, no new referrals, its accounts stay) or reactivate."""
    row = by_code(session, code)
    if not active and row.code == DEFAULT_AGENCY_CODE:
        raise AgencyError("the default agency cannot be deactivated (it is the last fallback)")
    row.active = active
    row.updated_at = utcnow()
    session.flush()
    return row


def as_input(row: Agency) -> AgencyIn:
    """The stored agency as input (to edit a few fields and `update`)."""
    return AgencyIn(code=row.code, name_th=row.name_th, name_en=row.name_en, kind=row.kind,
                    provinces=tuple(row.provinces or ()), national=row.national,
                    handover_contact=row.handover_contact,
                    directory_services=tuple(row.directory_services or ()),
                    example=row.example, source=row.source, reviewed_on=row.reviewed_on)
