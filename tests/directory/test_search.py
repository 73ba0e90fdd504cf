"""The one search function, on SQLite and PostgreSQL, against brute-force answers."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from referral_directory.bundled import load_bundled
from referral_directory.geo import distance_km
from referral_directory.hours import is_open
from referral_directory.search import EQUAL_KM, ServiceQuery, search_services
from referral_directory.store import upsert_records

from .conftest import record

MONDAY_10 = datetime(2026, 11, 23, 10, 0)
SUNDAY_10 = datetime(2026, 11, 29, 10, 0)


@pytest.fixture
def bundled(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        load_bundled(session)
    with Session(engine) as session:
        yield session


def ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.service.external_id for h in result.hits]


def test_province_filter_is_local(bundled: Session) -> None:
    result = search_services(bundled, ServiceQuery(service_type="shelter", province="Tak"))
    assert (result.scope, result.widened) == ("local", False)
    assert ids(result) == ["police-screening-centre-mae-sot", "sample-tak-shelter"]
    assert [h.service.sample for h in result.hits] == [False, True]  # real entries first


def test_widens_to_neighbours_then_national(bundled: Session) -> None:
    # Mae Hong Son has no bundled shelter; its neighbours Chiang Mai and Tak do.
    near = search_services(bundled, ServiceQuery(service_type="shelter", province="Mae Hong Son"))
    assert (near.scope, near.widened) == ("neighbours", True)
    assert set(ids(near)) == {
        "sample-chiang-mai-shelter", "sample-tak-shelter",
        "police-screening-centre-chiang-mai", "police-screening-centre-mae-sot",
    }  # fmt: skip
    assert near.provinces_searched == ["Mae Hong Son", "Chiang Mai", "Tak"]
    # Nan and its neighbours have no hotline entries; national hotlines answer.
    national = search_services(bundled, ServiceQuery(service_type="hotline", province="Nan"))
    assert (national.scope, national.widened) == ("national", True)
    assert "hotline-1300" in ids(national)
    assert all(h.service.national for h in national.hits)


def test_nothing_anywhere_says_none(bundled: Session) -> None:
    # No interpreter in Nan, its neighbours or nationally (shelters now have national entries).
    result = search_services(bundled, ServiceQuery(service_type="interpreter", province="Nan"))
    assert (result.scope, result.widened, result.hits) == ("none", True, [])


def test_language_filter(bundled: Session) -> None:
    result = search_services(bundled, ServiceQuery(service_type="hotline", language="km"))
    assert ids(result) == ["hotline-1694"]
    assert all("km" in h.service.languages for h in result.hits)


def test_open_now(bundled: Session) -> None:
    q = dict(service_type="labour_complaint", province="Samut Sakhon", open_now=True)
    assert ids(search_services(bundled, ServiceQuery(**q, at=MONDAY_10))) == [
        "sample-samut-sakhon-labour-complaint"
    ]
    sunday = search_services(bundled, ServiceQuery(**q, at=SUNDAY_10))
    assert sunday.scope != "local"  # closed locally; neighbours' offices are closed too
    assert all(h.service.is_24h for h in sunday.hits)


def test_nearest_first_with_distances(bundled: Session) -> None:
    point = (13.55, 100.30)  # near Samut Sakhon
    result = search_services(
        bundled, ServiceQuery(service_type="legal_aid", latitude=point[0], longitude=point[1])
    )
    assert result.scope == "local"
    distances = [h.distance_km for h in result.hits]
    bands = [math.floor(d / EQUAL_KM) for d in distances]  # equals: verified, language, open
    assert bands == sorted(bands) and distances[0] < 10
    s = result.hits[0].service
    assert distances[0] == pytest.approx(distance_km(*point, s.latitude, s.longitude))
    assert s.province == "Samut Sakhon"


def test_far_point_falls_back_to_national(bundled: Session) -> None:
    # Nan town: no bundled labour office within 150 km; the national entries answer.
    result = search_services(
        bundled, ServiceQuery(service_type="labour_complaint", latitude=18.78, longitude=100.78)
    )
    assert (result.scope, result.widened) == ("national", True)
    assert ids(result) == ["hotline-1546", "issara-institute", "labour-protection-offices"]


def test_nearest_matches_brute_force_and_is_deterministic(engine: Engine) -> None:
    rng = random.Random(7)
    records = [
        record(
            id=f"r-{i}",
            type=rng.choice(["shelter", "medical"]),
            latitude=round(rng.uniform(12.0, 16.0), 4),
            longitude=round(rng.uniform(99.0, 102.0), 4),
            languages=rng.sample(["th", "en", "my"], k=rng.randint(1, 2)),
        )
        for i in range(600)
    ]
    # two services at the same point: ties broken the same way every time
    records += [
        record(id="tie-b", latitude=14.0, longitude=100.0, name_en="Same"),
        record(id="tie-a", latitude=14.0, longitude=100.0, name_en="Same"),
    ]
    with Session(engine) as s, s.begin():
        upsert_records(s, records)
    with Session(engine) as s:
        for _ in range(25):
            lat, lon = rng.uniform(12.5, 15.5), rng.uniform(99.5, 101.5)
            lang = rng.choice([None, "my"])
            q = ServiceQuery(
                service_type="shelter",
                latitude=lat,
                longitude=lon,
                language=lang,
                limit=10,
                max_km=2000,
            )
            got = [
                (h.service.external_id, round(h.distance_km, 6)) for h in search_services(s, q).hits
            ]
            expected = sorted(
                (round(distance_km(lat, lon, r.latitude, r.longitude), 6), r.id)
                for r in records
                if r.type == "shelter" and (lang is None or lang in r.languages)
            )[:10]
            assert [d for _, d in got] == [d for d, _ in expected]
            assert got == [
                (h.service.external_id, round(h.distance_km, 6)) for h in search_services(s, q).hits
            ]
        tie = search_services(
            s, ServiceQuery(service_type="shelter", latitude=14.0, longitude=100.0, limit=2)
        )
        assert ids(tie)[0].startswith("tie-") and len(set(ids(tie))) == 2


def test_ranking_among_equals_matches_brute_force(engine: Engine) -> None:
    """Verified, own language, open now, nearest: the index search (which looks at language
    and hours only in the bands that can win) agrees with ranking every entry."""
    rng = random.Random(11)
    hours = [None, "mon-fri 08:30-16:30", "daily 09:00-12:00", "sat-sun 10:00-18:00"]
    records = [
        record(
            id=f"q-{i}",
            name_en=f"S{i:03d}",
            latitude=round(13.0 + rng.uniform(-0.3, 0.3), 4),
            longitude=round(100.5 + rng.uniform(-0.3, 0.3), 4),
            languages=rng.sample(["th", "en", "my", "km"], k=rng.randint(1, 2)),
            opening_hours=rng.choice(hours),
            sample=rng.random() < 0.3,
        )
        for i in range(400)
    ]
    with Session(engine) as s, s.begin():
        upsert_records(s, records)
    at = MONDAY_10
    with Session(engine) as s:
        for _ in range(15):
            lat, lon = 13.0 + rng.uniform(-0.2, 0.2), 100.5 + rng.uniform(-0.2, 0.2)
            language = rng.choice([None, "my", "km"])
            query = ServiceQuery(service_type="shelter", latitude=lat, longitude=lon,
                                 prefer_language=language, at=at, limit=10)

            def key(r: Any, lat: float = lat, lon: float = lon,
                    language: str | None = language) -> tuple:
                d = distance_km(lat, lon, r.latitude, r.longitude)
                speaks = language is None or language in r.languages
                open_ = is_open(r.opening_hours, False, at)
                return (math.floor(d / EQUAL_KM), r.sample, not speaks, not open_,
                        round(d, 6), r.name_en, r.id)

            expected = [r.id for r in sorted(records, key=key)[:10]]
            hits = search_services(s, query).hits
            assert [h.service.external_id for h in hits] == expected
            by_id = {r.id: r for r in records}
            assert [h.open_now for h in hits] == [
                is_open(by_id[h.service.external_id].opening_hours, False, at) for h in hits]


def test_nearest_open_now_keeps_only_open_services(bundled: Session) -> None:
    q = dict(latitude=13.55, longitude=100.27, max_km=60.0, limit=50)
    monday = search_services(bundled, ServiceQuery(**q, open_now=True, at=MONDAY_10))
    sunday = search_services(bundled, ServiceQuery(**q, open_now=True, at=SUNDAY_10))
    assert {h.service.service_type for h in sunday.hits} == {"medical"}  # 24-hour hospitals
    assert all(h.service.is_24h for h in sunday.hits)
    assert len(monday.hits) > len(sunday.hits)
    assert all(h.distance_km <= 60.0 for h in monday.hits)


@pytest.mark.parametrize(
    "bad",
    [{"province": "Tak Province"}, {"service_type": "spa"}, {"language": "xx"},
     {"latitude": 13.0}, {"limit": 0}],
)  # fmt: skip
def test_bad_query_is_a_clear_error(bad: dict) -> None:
    with pytest.raises(ValueError):
        ServiceQuery(**bad)
