"""Which agency a new case goes to: the rules are data (`data/routing.yml`: per case source the
agency kinds in order), applied to the agencies that cover the person's province, then to the
national ones, then the default agency. Never an inactive agency; never a bundled example in
production.

The case sources are the cases domain's (`cases.vocab.SOURCES`); this module sits below
`cases` and takes them as plain strings (a test checks the file names every source)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from agencies.models import Agency
from agencies.store import default_agency
from agencies.vocab import AGENCY_KINDS, DEFAULT_AGENCY_CODE
from referral_directory.gazetteer import canonical_province

ROUTING_FILE = Path(__file__).resolve().parent / "data" / "routing.yml"
log = logging.getLogger("saphan.agencies.routing")


class RoutingDataError(ValueError):
    """The routing file is wrong; the message names the file and the item."""


@dataclass(frozen=True)
class RoutingRules:
    routes: dict[str, tuple[str, ...]]

    def kinds_for(self, source: str) -> tuple[str, ...]:
        return self.routes.get(source, ())


def load_rules(path: Path = ROUTING_FILE) -> RoutingRules:
    """Read and check a routing file: `routes: {source: [kind, ...]}`, kinds from
    AGENCY_KINDS, each at most once per source."""
    where = path.name
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RoutingDataError(f"{where}: cannot read: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"routes"} or not isinstance(
            data["routes"], dict) or not data["routes"]:
        raise RoutingDataError(f"{where}: expected exactly one key `routes`, a mapping of "
                               f"case source to a list of agency kinds")
    routes: dict[str, tuple[str, ...]] = {}
    for source, kinds in data["routes"].items():
        item = f"{where}: routes.{source}"
        if not isinstance(source, str) or not source.strip():
            raise RoutingDataError(f"{item}: the case source must be text")
        if not isinstance(kinds, list) or not kinds:
            raise RoutingDataError(f"{item}: expected a non-empty list of agency kinds")
        for kind in kinds:
            if kind not in AGENCY_KINDS:
                raise RoutingDataError(f"{item}: {kind!r} is not an agency kind "
                                       f"({', '.join(AGENCY_KINDS)})")
        if len(set(kinds)) != len(kinds):
            raise RoutingDataError(f"{item}: an agency kind is listed twice")
        routes[source] = tuple(kinds)
    return RoutingRules(routes)


@lru_cache
def rules() -> RoutingRules:
    """The shipped rules (read once)."""
    return load_rules()


def _production(production: bool | None) -> bool:
    if production is not None:
        return production
    from saphan.settings import get_settings

    return get_settings().production


def _candidates(session: Session, kinds: Sequence[str], production: bool) -> list[Agency]:
    """Active agencies of `kinds` (not the default agency: it is the last fallback), ordered
    by kind preference, real before example, then code."""
    if not kinds:
        return []
    query = select(Agency).where(Agency.active.is_(True), Agency.kind.in_(list(kinds)),
                                 Agency.code != DEFAULT_AGENCY_CODE)
    if production:
        query = query.where(Agency.example.is_(False))
    rows = list(session.execute(query).scalars())
    rank = {kind: i for i, kind in enumerate(kinds)}
    return sorted(rows, key=lambda a: (rank[a.kind], a.example, a.code))


def covering(session: Session, province: str | None, kinds: Sequence[str],
             production: bool | None = None) -> list[Agency]:
    """Active agencies of `kinds` that cover `province` themselves (Thai or English name), in
    order of kind preference; national ones are not included (see `national`)."""
    canonical = canonical_province(province) if province else None
    if canonical is None:
        return []
    return [a for a in _candidates(session, kinds, _production(production))
            if canonical in (a.provinces or [])]


def national(session: Session, kinds: Sequence[str],
             production: bool | None = None) -> list[Agency]:
    """Active national agencies of `kinds`, in order of kind preference."""
    return [a for a in _candidates(session, kinds, _production(production)) if a.national]


def route(session: Session, province: str | None, source: str,
          production: bool | None = None) -> Agency:
    """The agency a new case from `province` with `source` goes to (see the module doc).
    `production` None: from the settings. An unknown source goes to the default agency (a
    case is never lost to a routing gap; the gap is logged)."""
    production = _production(production)
    kinds = rules().kinds_for(source)
    if not kinds:
        log.warning("no routing rule for case source %r; default agency", source)
        return default_agency(session)
    found = covering(session, province, kinds, production) or national(
        session, kinds, production)
    return found[0] if found else default_agency(session)
