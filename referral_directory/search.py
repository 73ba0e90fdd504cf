"""The one directory search used by the bot's actions, the API and the dashboard.

Filters: service type, province, language spoken, open now. With a point, results are
nearest first with the distance in km; candidates come from an index range scan on
(service_type, latitude, longitude) inside a bounding box that grows until enough are found.
When nothing matches locally the search widens to neighbouring provinces, then to national
services, and the result says so (`scope`).

Ranking: services within the same distance band (`EQUAL_KM`; all of them when there is no
point) count as equal; among equals verified entries come before samples, then those speaking
`prefer_language`, then those open now, then the nearest, then by name. Sample entries are
left out entirely where they are not allowed (production, `samples.py`); retired services
(`retired_on`, `upkeep.retire`) everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from referral_directory.gazetteer import neighbours, provinces
from referral_directory.geo import bounding_box, distance_km
from referral_directory.hours import now_bangkok, open_at
from referral_directory.models import Service
from referral_directory.samples import samples_allowed
from referral_directory.vocab import LANGUAGES, SERVICE_TYPES

Scope = Literal["local", "neighbours", "national", "none"]

LOCAL_RADIUS_KM = 150.0  # "near you" when only a point is given
FIRST_RING_KM = 20.0
EQUAL_KM = 5.0  # services this close to each other in distance from the person rank as equals


@dataclass(frozen=True)
class ServiceQuery:
    service_type: str | None = None
    province: str | None = None  # canonical English name
    latitude: float | None = None
    longitude: float | None = None
    language: str | None = None
    open_now: bool = False
    at: datetime | None = None  # "now" for open_now; default: current Bangkok time
    limit: int = 10
    max_km: float = LOCAL_RADIUS_KM
    prefer_language: str | None = None  # ranks first among equals (unlike `language`, a filter)
    samples: bool = field(default_factory=samples_allowed)  # False in production

    def __post_init__(self) -> None:
        if self.service_type is not None and self.service_type not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {self.service_type!r}")
        if self.province is not None and self.province not in provinces():
            raise ValueError(f"unknown province {self.province!r} (use canonical_province)")
        for lang in (self.language, self.prefer_language):
            if lang is not None and lang not in LANGUAGES:
                raise ValueError(f"unknown language {lang!r}")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        if self.limit < 1:
            raise ValueError("limit must be at least 1")


@dataclass(frozen=True)
class Hit:
    service: Service
    distance_km: float | None
    open_now: bool = False  # at the query's time (Bangkok)


@dataclass
class SearchResult:
    hits: list[Hit]
    scope: Scope  # where the hits come from
    widened: bool  # True when the local search found nothing and the search widened
    provinces_searched: list[str] = field(default_factory=list)

    @property
    def services(self) -> list[Service]:
        return [h.service for h in self.hits]


def _base(query: ServiceQuery) -> Select[tuple[Service]]:
    stmt = select(Service).options(selectinload(Service.organisation))
    if query.service_type:
        stmt = stmt.where(Service.service_type == query.service_type)
    if not query.samples:
        stmt = stmt.where(Service.sample.is_(False))
    return stmt.where(Service.retired_on.is_(None))


def _matcher(query: ServiceQuery) -> Callable[[Service], bool]:
    is_open = open_at(query.at or now_bangkok())

    def ok(s: Service) -> bool:
        if query.language and query.language not in (s.languages or []):
            return False
        return not (query.open_now and not is_open(s.opening_hours, s.is_24h))

    return ok


def _order(query: ServiceQuery, distance: float | None, languages: list[str] | None,
           open_now: bool, sample: bool, name: str, service_id: int) -> tuple[Any, ...]:
    """Sort key: distance band, verified, own language, open now, distance, name, id."""
    band = float("inf") if distance is None else math.floor(distance / EQUAL_KM)
    speaks = query.prefer_language is None or query.prefer_language in (languages or [])
    exact = float("inf") if distance is None else round(distance, 6)
    return (band, sample, not speaks, not open_now, exact, name, service_id)


def _rank(query: ServiceQuery, services: list[Service]) -> list[Hit]:
    """Services as hits in ranking order (`_order`), at most `limit`."""
    lat, lon = query.latitude, query.longitude
    is_open = open_at(query.at or now_bangkok())
    hits = [
        Hit(
            s,
            distance_km(lat, lon, s.latitude, s.longitude)
            if lat is not None
            and lon is not None
            and s.latitude is not None
            and s.longitude is not None
            else None,
            is_open(s.opening_hours, s.is_24h),
        )
        for s in services
    ]
    hits.sort(key=lambda h: _order(query, h.distance_km, h.service.languages, h.open_now,
                                   h.service.sample, h.service.name_en, h.service.id))
    return hits[: query.limit]


def _candidate_columns(query: ServiceQuery) -> list[Any]:
    cols = [Service.id, Service.latitude, Service.longitude, Service.sample, Service.name_en,
            Service.opening_hours, Service.is_24h]
    if query.language or query.prefer_language:
        cols.append(Service.languages)
    return cols


def _load(session: Session, ranked: list[tuple[int, float, bool]]) -> list[Hit]:
    """Full services (with organisation) for ranked (id, distance, open) triples, in order."""
    if not ranked:
        return []
    stmt = (
        select(Service)
        .options(selectinload(Service.organisation))
        .where(Service.id.in_([i for i, _, _ in ranked]))
    )
    by_id = {s.id: s for s in session.scalars(stmt)}
    return [Hit(by_id[i], d, o) for i, d, o in ranked]


def _nearest(session: Session, query: ServiceQuery) -> list[Hit]:
    """Nearest matches within `max_km` of the point, growing the box until `limit` found.

    Candidates are light rows from an index range scan; only the winners are loaded in full.
    """
    assert query.latitude is not None and query.longitude is not None
    lat, lon = query.latitude, query.longitude
    is_open = open_at(query.at or now_bangkok())
    radius = FIRST_RING_KM
    while True:
        radius = min(radius, query.max_km)
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
        stmt = select(*_candidate_columns(query)).where(
            Service.latitude.between(min_lat, max_lat),
            Service.longitude.between(min_lon, max_lon),
            Service.retired_on.is_(None),
        )
        if query.service_type:
            stmt = stmt.where(Service.service_type == query.service_type)
        if not query.samples:
            stmt = stmt.where(Service.sample.is_(False))
        if query.province:
            stmt = stmt.where(Service.province == query.province)
        found = []  # (distance, row) of the matches inside the circle
        for row in session.execute(stmt):
            distance = distance_km(lat, lon, row.latitude, row.longitude)
            if distance > radius:
                continue
            if query.language and query.language not in (row.languages or []):
                continue
            if query.open_now and not is_open(row.opening_hours, row.is_24h):
                continue
            found.append((distance, row))
        if len(found) >= query.limit or radius >= query.max_km:
            return _load(session, _best(query, found, is_open))
        # grow by the area still needed (density estimate), at least 1.5x, at most 3x
        need = math.sqrt(query.limit / max(len(found), 1)) * 1.2
        radius *= min(3.0, max(1.5, need))


def _best(query: ServiceQuery, found: list[tuple[float, Any]],
          is_open: Callable[[str | None, bool], bool]) -> list[tuple[int, float, bool]]:
    """The `limit` best (id, distance, open) of the matches. Only the distance bands up to the
    one holding the limit-th nearest can win (the band ranks first), so language and opening
    hours are looked at for those alone."""
    found.sort(key=lambda pair: pair[0])
    if len(found) > query.limit:
        last_band = math.floor(found[query.limit - 1][0] / EQUAL_KM)
        found = [pair for pair in found if math.floor(pair[0] / EQUAL_KM) <= last_band]
    ranked = []
    for distance, row in found:
        languages = row.languages if query.prefer_language else None
        ranked.append(_order(query, distance, languages, is_open(row.opening_hours, row.is_24h),
                             row.sample, row.name_en, row.id))
    ranked.sort()
    # _order: (band, sample, not speaks, not open, distance, name, id)
    return [(r[6], r[4], not r[3]) for r in ranked[: query.limit]]


def _in_provinces(session: Session, query: ServiceQuery, names: list[str]) -> list[Hit]:
    ok = _matcher(query)
    stmt = _base(query).where(Service.province.in_(names), Service.national.is_(False))
    return _rank(query, [s for s in session.scalars(stmt) if ok(s)])


def _national(session: Session, query: ServiceQuery) -> list[Hit]:
    ok = _matcher(query)
    stmt = _base(query).where(Service.national.is_(True))
    return _rank(query, [s for s in session.scalars(stmt) if ok(s)])


def search_services(session: Session, query: ServiceQuery) -> SearchResult:
    """Find services for `query`; widen to neighbours, then national, when nothing is local.

    Without a province or a point, only national services are returned (scope "national").
    Sample entries only where `query.samples` (never in production).
    """
    located = query.latitude is not None and query.longitude is not None
    if query.province:
        if located:
            hits = _nearest(session, query)
            hits = hits or _in_provinces(session, query, [query.province])
        else:
            hits = _in_provinces(session, query, [query.province])
        if hits:
            return SearchResult(hits, "local", False, [query.province])
        near = sorted(neighbours(query.province))
        hits = _in_provinces(session, query, near)
        if hits:
            return SearchResult(hits, "neighbours", True, [query.province, *near])
        searched = [query.province, *near]
    elif located:
        hits = _nearest(session, query)
        if hits:
            return SearchResult(hits, "local", False, [])
        searched = []
    else:
        searched = []
    hits = _national(session, query)
    widened = bool(query.province or located)
    return SearchResult(hits, "national" if hits else "none", widened, searched)


def get_service(session: Session, service_id: int, *, samples: bool | None = None,
                retired: bool = False) -> Service | None:
    """One service by database id (with its organisation); a sample entry only where samples
    are allowed (default: not in production); a retired one only when asked (`retired`)."""
    stmt = (
        select(Service).options(selectinload(Service.organisation)).where(Service.id == service_id)
    )
    if not retired:
        stmt = stmt.where(Service.retired_on.is_(None))
    if not (samples_allowed() if samples is None else samples):
        stmt = stmt.where(Service.sample.is_(False))
    return session.scalars(stmt).first()
