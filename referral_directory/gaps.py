"""The gaps report: where the directory has nothing real to offer. For every province and
service type, how many real services (not samples, not retired) are there and how many of them
were verified in time (`staleness`); a cell without a real local service is a gap. National
services are counted per type on their own row (they serve every province by phone, but are no
office to go to). For the five conversation languages: how many real services speak each, in
the country and per province; a province where no local service speaks a language is a gap."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_directory.gazetteer import provinces
from referral_directory.models import Service
from referral_directory.staleness import is_stale
from referral_directory.vocab import SERVICE_TYPES
from saphan.csv_safe import SafeDictWriter
from saphan.language import LANGUAGES as GAP_LANGUAGES

NATIONAL = "(national)"  # the province column of national services
EVERYWHERE = "(all)"  # the province column of a language's count over every real service
K = TypeVar("K")
CSV_COLUMNS = ("kind", "province", "item", "real_services", "verified_services", "gap")


@dataclass(frozen=True)
class Count:
    real: int = 0
    verified: int = 0

    @property
    def gap(self) -> bool:
        return self.real == 0


@dataclass
class Gaps:
    provinces: list[str]
    types: tuple[str, ...] = SERVICE_TYPES
    languages: tuple[str, ...] = GAP_LANGUAGES
    by_type: dict[tuple[str, str], Count] = field(default_factory=dict)  # (province, type)
    national: dict[str, Count] = field(default_factory=dict)  # type
    by_language: dict[tuple[str, str], Count] = field(default_factory=dict)  # (province, lang)
    language_total: dict[str, Count] = field(default_factory=dict)  # lang, every real service

    def cell(self, province: str, service_type: str) -> Count:
        return self.by_type.get((province, service_type), Count())

    def spoken(self, province: str, language: str) -> Count:
        return self.by_language.get((province, language), Count())

    @property
    def type_gaps(self) -> list[tuple[str, str]]:
        return [(p, t) for p in self.provinces for t in self.types if self.cell(p, t).gap]

    @property
    def language_gaps(self) -> list[tuple[str, str]]:
        return [(p, lang) for p in self.provinces for lang in self.languages
                if self.spoken(p, lang).gap]

    @property
    def unspoken(self) -> list[str]:
        """Languages no real service anywhere speaks."""
        return [lang for lang in self.languages
                if self.language_total.get(lang, Count()).gap]


def _counts(pairs: list[tuple[K, bool]]) -> dict[K, Count]:
    real: Counter[K] = Counter()
    verified: Counter[K] = Counter()
    for key, fresh in pairs:
        real[key] += 1
        verified[key] += fresh
    return {key: Count(real[key], verified[key]) for key in real}


def gaps(session: Session, day: date | None = None, days: int | None = None) -> Gaps:
    """The report over every real service in use (one query; the directory is small enough
    per type and province to count in Python)."""
    rows = session.execute(
        select(Service.province, Service.service_type, Service.national, Service.languages,
               Service.last_verified)
        .where(Service.sample.is_(False), Service.retired_on.is_(None)))
    local_types: list[tuple[tuple[str, str], bool]] = []
    local_langs: list[tuple[tuple[str, str], bool]] = []
    national: list[tuple[str, bool]] = []
    all_langs: list[tuple[str, bool]] = []
    for province, service_type, is_national, languages, last_verified in rows:
        fresh = not is_stale(last_verified, day, days)
        spoken = [lang for lang in languages or [] if lang in GAP_LANGUAGES]
        all_langs += [(lang, fresh) for lang in spoken]
        if is_national or not province:
            national.append((service_type, fresh))
            continue
        local_types.append(((province, service_type), fresh))
        local_langs += [((province, lang), fresh) for lang in spoken]
    return Gaps(provinces=sorted(provinces()), by_type=_counts(local_types),
                national=_counts(national), by_language=_counts(local_langs),
                language_total=_counts(all_langs))


def gaps_csv(report: Gaps) -> str:
    """The whole matrix as CSV (one row per province × type and province × language, plus the
    national rows); `gap` is true where there is no real service."""
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()

    def row(kind: str, province: str, item: str, count: Count) -> None:
        writer.writerow({"kind": kind, "province": province, "item": item,
                         "real_services": count.real, "verified_services": count.verified,
                         "gap": "true" if count.gap else "false"})

    for province in report.provinces:
        for service_type in report.types:
            row("service_type", province, service_type, report.cell(province, service_type))
    for service_type in report.types:
        row("service_type", NATIONAL, service_type, report.national.get(service_type, Count()))
    for province in report.provinces:
        for lang in report.languages:
            row("language", province, lang, report.spoken(province, lang))
    for lang in report.languages:
        row("language", EVERYWHERE, lang, report.language_total.get(lang, Count()))
    return out.getvalue()
