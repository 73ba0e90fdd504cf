"""The province gazetteer: 77 provinces with Thai/English names, region, point and neighbours.

Canonical names are PyThaiNLP's `name_en`; the rest comes from `data/provinces.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

GAZETTEER_FILE = Path(__file__).resolve().parent / "data" / "provinces.yaml"


@dataclass(frozen=True)
class Province:
    name_en: str
    name_th: str
    region: str
    latitude: float
    longitude: float
    neighbours: tuple[str, ...]


def _pythainlp_provinces() -> list[dict[str, str]]:
    from pythainlp.corpus import provinces as pythainlp_provinces  # slow import: on first use

    return pythainlp_provinces(details=True)


@lru_cache
def provinces() -> dict[str, Province]:
    """All provinces keyed by canonical English name."""
    data = yaml.safe_load(GAZETTEER_FILE.read_text(encoding="utf-8"))["provinces"]
    thai = {p["name_en"]: p["name_th"] for p in _pythainlp_provinces()}
    return {
        name: Province(
            name_en=name,
            name_th=thai[name],
            region=entry["region"],
            latitude=float(entry["lat"]),
            longitude=float(entry["lon"]),
            neighbours=tuple(entry["neighbours"]),
        )
        for name, entry in data.items()
    }


@lru_cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for p in _pythainlp_provinces():
        for key in (p["name_en"], p["name_th"], p.get("abbr_en", ""), p.get("abbr_th", "")):
            if key:
                table[key.casefold()] = p["name_en"]
    return table


def canonical_province(name: str) -> str | None:
    """The canonical English name for a Thai/English name or abbreviation, else None."""
    return _lookup().get(name.strip().casefold())


def neighbours(name: str) -> tuple[str, ...]:
    """Provinces sharing a land boundary with `name` (canonical English names)."""
    return provinces()[name].neighbours
