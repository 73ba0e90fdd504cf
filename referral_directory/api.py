"""HTTP API of the directory: public search and lookup, admin create/update/delete."""

from __future__ import annotations

import secrets
from datetime import date
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import select

from referral_directory import upkeep
from referral_directory.gazetteer import canonical_province, find_town
from referral_directory.models import Service
from referral_directory.records import ServiceRecord
from referral_directory.search import Hit, ServiceQuery, get_service, search_services
from referral_directory.store import delete_service as delete_stored_service
from referral_directory.store import to_record
from referral_directory.vocab import LANGUAGES, SAMPLE_NOTICE, SERVICE_TYPES
from saphan.http_types import DbSession, RowId
from saphan.settings import get_settings

router = APIRouter(prefix="/api/services", tags=["directory"])
ServiceType = Enum("ServiceType", {t: t for t in SERVICE_TYPES}, type=str)  # type: ignore[misc]
Language = Enum("Language", {lang: lang for lang in LANGUAGES}, type=str)  # type: ignore[misc]
_bearer = HTTPBearer(auto_error=False)


class ServiceOut(BaseModel):
    """A service as shown to users; `notice` is set for sample (unverified) entries, which
    are never served in production. `source_url`/`source_note`/`last_verified` say where and
    when the facts were read; `needs_phone`: a real entry whose phone is not known yet."""

    id: int
    external_id: str
    type: str
    name_en: str
    name_th: str | None
    description_en: str | None
    description_th: str | None
    organisation: str | None
    address: str | None
    province: str | None
    district: str | None
    latitude: float | None
    longitude: float | None
    national: bool
    phones: list[str]
    line_id: str | None
    website: str | None
    email: str | None
    opening_hours: str | None
    is_24h: bool
    languages: list[str]
    cost_notes: str | None
    eligibility_notes: str | None
    source: str
    source_url: list[str]
    source_note: str | None
    confidence: str
    last_verified: date | None
    needs_phone: bool
    sample: bool
    notice: dict[str, str] | None
    distance_km: float | None = None
    open_now: bool | None = None  # in search results: open at the time of the search


class SearchOut(BaseModel):
    scope: str
    widened: bool
    provinces_searched: list[str]
    count: int
    items: list[ServiceOut]


def _out(service: Service, distance: float | None = None,
         open_now: bool | None = None) -> ServiceOut:
    record = to_record(service)
    data = record.model_dump(exclude={"id", "organisation_id", "organisation_name_th"})
    data["organisation"] = data.pop("organisation_name_en")
    return ServiceOut(
        id=service.id,
        external_id=service.external_id,
        notice=SAMPLE_NOTICE if service.sample else None,
        distance_km=None if distance is None else round(distance, 2),
        open_now=open_now,
        **data,
    )


#: The history's "who" for changes made through the API (one shared admin token).
API_USER = "api"


def _hit_out(hit: Hit) -> ServiceOut:
    return _out(hit.service, hit.distance_km, hit.open_now)


def require_admin(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Bearer token = setting `admin_api_token`; writes are refused when it is empty."""
    expected = get_settings().admin_api_token.get_secret_value()
    given = credentials.credentials if credentials else ""
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "admin token missing or wrong",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.get("", response_model=SearchOut, summary="Search services")
def list_services(
    db: DbSession,
    type: Annotated[ServiceType | None, Query(description="Service type")] = None,
    province: Annotated[str | None, Query(
        description="Province (Thai or English name) or a town in data/towns.yaml (searched "
                    "by distance from the town)")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Latitude")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180, description="Longitude")] = None,
    lang: Annotated[Language | None, Query(description="Language spoken")] = None,
    open_now: Annotated[bool, Query(description="Only services open now (Bangkok)")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SearchOut:
    """Nearest first when lat/lon are given; widens to neighbouring provinces, then national
    services, when nothing matches locally (`scope`, `widened`)."""
    if (lat is None) != (lon is None):
        raise HTTPException(422, "lat and lon go together")
    canonical = None
    if province is not None:
        canonical = canonical_province(province)
        town = find_town(province) if canonical is None else None
        if canonical is None and town is None:
            raise HTTPException(422, f"unknown province or town {province!r}")
        if town is not None and lat is None:
            lat, lon = town.latitude, town.longitude
    result = search_services(
        db,
        ServiceQuery(
            service_type=type.value if type else None,
            province=canonical,
            latitude=lat,
            longitude=lon,
            language=lang.value if lang else None,
            open_now=open_now,
            limit=limit,
        ),
    )
    items = [_hit_out(h) for h in result.hits]
    return SearchOut(
        scope=result.scope,
        widened=result.widened,
        provinces_searched=result.provinces_searched,
        count=len(items),
        items=items,
    )


@router.get("/{service_id}", response_model=ServiceOut, summary="One service")
def read_service(service_id: RowId, db: DbSession) -> ServiceOut:
    service = get_service(db, service_id)
    if service is None:
        raise HTTPException(404, "no such service")
    return _out(service)


@router.post(
    "",
    response_model=ServiceOut,
    status_code=201,
    dependencies=[Depends(require_admin)],
    summary="Create a service (admin)",
)
def create_service(record: ServiceRecord, db: DbSession) -> ServiceOut:
    if db.scalar(select(Service.id).where(Service.external_id == record.id)) is not None:
        raise HTTPException(409, f"a service with id {record.id!r} exists")
    try:
        service = upkeep.add(db, record, API_USER)  # with its history entry
    except upkeep.UpkeepError as exc:  # a sample in production
        raise HTTPException(422, str(exc)) from None
    return _out(service)


@router.put(
    "/{service_id}",
    response_model=ServiceOut,
    dependencies=[Depends(require_admin)],
    summary="Replace a service (admin)",
)
def update_service(
    service_id: RowId, record: ServiceRecord, db: DbSession
) -> ServiceOut:
    service = get_service(db, service_id)
    if service is None:
        raise HTTPException(404, "no such service")
    if record.id != service.external_id:
        raise HTTPException(422, "the external id of a service cannot change")
    try:
        upkeep.edit(db, service, record, API_USER, replace_verification=True)
    except upkeep.UpkeepError as exc:  # a sample in production
        raise HTTPException(422, str(exc)) from None
    db.expire_all()
    return _out(get_service(db, service_id))  # type: ignore[arg-type]


@router.delete(
    "/{service_id}",
    status_code=204,
    dependencies=[Depends(require_admin)],
    summary="Delete a service (admin)",
)
def delete_service(service_id: RowId, db: DbSession) -> Response:
    if not delete_stored_service(db, service_id):
        raise HTTPException(404, "no such service")
    return Response(status_code=204)
