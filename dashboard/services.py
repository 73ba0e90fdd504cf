"""Directory services suggested for a case, as the LINE service cards the person would get
(samples are never suggested in production: the search leaves them out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cases.models import Case
from referral_directory.cards import service_card
from referral_directory.gazetteer import canonical_province
from referral_directory.search import ServiceQuery, search_services

SUGGESTIONS = 5


def suggested_services(session: Session, case: Case, language: str | None = None
                       ) -> list[dict[str, Any]]:
    """Nearest (or in-province, widening to national) services for the case's place, as cards
    in `language`: for cards sent to the person, their current one
    (`CaseRuntime.person_language`, as the cards' alt text), which may have changed since the
    case was opened in `case.language` (the default)."""
    province = canonical_province(case.province) if case.province else None
    query = ServiceQuery(province=province, latitude=case.latitude, longitude=case.longitude,
                         limit=SUGGESTIONS)
    result = search_services(session, query)
    return [_card(hit.service, hit.distance_km, language or case.language) for hit in result.hits]


def _card(service: Any, distance: float | None, language: str) -> dict[str, Any]:
    """The card the person would get (cards.service_card: their language, sample label,
    "call to confirm"), plus what the dashboard needs to pick and label it."""
    card = service_card(service, language, distance_km=distance)
    card.update(id=service.id, sample=service.sample, type=service.service_type)
    return card
