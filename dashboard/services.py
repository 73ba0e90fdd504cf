"""Directory services suggested for a case, in the shape of LINE service cards."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cases.models import Case
from referral_directory.gazetteer import canonical_province
from referral_directory.search import ServiceQuery, search_services

SUGGESTIONS = 5


def suggested_services(session: Session, case: Case) -> list[dict[str, Any]]:
    """Nearest (or in-province, widening to national) services for the case's place."""
    province = canonical_province(case.province) if case.province else None
    query = ServiceQuery(province=province, latitude=case.latitude, longitude=case.longitude,
                         limit=SUGGESTIONS)
    result = search_services(session, query)
    return [_card(hit.service, hit.distance_km, case.language) for hit in result.hits]


def _card(service: Any, distance: float | None, language: str) -> dict[str, Any]:
    name = (service.name_th if language == "th" and service.name_th else service.name_en)
    organisation = service.organisation
    return {
        "id": service.id,
        "name": name,
        "organisation": organisation.name_en if organisation else None,
        "address": service.address,
        "hours": "24h" if service.is_24h else service.opening_hours,
        "languages": ", ".join(service.languages or []),
        "distance": None if distance is None else f"{distance:.1f} km",
        "phone": (service.phones or [None])[0],
        "latitude": service.latitude,
        "longitude": service.longitude,
        "sample": service.sample,
        "type": service.service_type,
    }
