"""The province gazetteer: 77 provinces with Thai/English names, region, point and neighbours.

Canonical names are PyThaiNLP's `name_en`; the rest comes from `data/provinces.yaml`.
"""

from __future__ import annotations

import re
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


TOWNS_FILE = Path(__file__).resolve().parent / "data" / "towns.yaml"


@dataclass(frozen=True)
class Town:
    """A town people name instead of its province, with its point (`data/towns.yaml`)."""

    name_en: str
    name_th: str
    province: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]


@lru_cache
def towns() -> dict[str, Town]:
    """The towns keyed by English name."""
    data = yaml.safe_load(TOWNS_FILE.read_text(encoding="utf-8"))["towns"]
    return {
        name: Town(name, entry["name_th"], entry["province"], float(entry["lat"]),
                   float(entry["lon"]), tuple(entry.get("aliases") or ()))
        for name, entry in data.items()
    }


@lru_cache
def _town_names() -> dict[str, Town]:
    return {key.casefold(): town for town in towns().values()
            for key in (town.name_en, town.name_th, *town.aliases)}


def find_town(name: str) -> Town | None:
    """The town called `name` (English or Thai name or a listed spelling), else None."""
    return _town_names().get(" ".join(name.split()).casefold())


def town_named_in(text: str) -> Town | None:
    """The town whose longest name occurs in `text` (a district or an address), else None."""
    folded = text.casefold()
    found = [(len(key), town) for key, town in _town_names().items() if key in folded]
    return max(found, key=lambda pair: pair[0])[1] if found else None


@lru_cache
def _gazetteer_points() -> frozenset[tuple[float, float]]:
    points = [(t.latitude, t.longitude) for t in towns().values()]
    points += [(p.latitude, p.longitude) for p in provinces().values()]
    return frozenset((round(lat, 5), round(lon, 5)) for lat, lon in points)


def is_gazetteer_point(latitude: float | None, longitude: float | None) -> bool:
    """Whether a service sits exactly on a town's or province's point, i.e. was placed by
    town or province (`bundled.place`), not at its own address."""
    if latitude is None or longitude is None:
        return False
    return (round(latitude, 5), round(longitude, 5)) in _gazetteer_points()


@lru_cache
def latin_place_names() -> frozenset[str]:
    """Province and town names written in Latin letters, casefolded, as the words they are
    typed in ("mae sot", "chiang mai", "chiangmai"): a name says nothing about the language
    of the person typing it (`saphan.language.guess_language`). No PyThaiNLP import: the
    gateway calls this at start-up."""
    data = yaml.safe_load(GAZETTEER_FILE.read_text(encoding="utf-8"))["provinces"]
    names = [*data, *(n for town in towns().values() for n in (town.name_en, *town.aliases))]
    found: set[str] = set()
    for name in names:
        words = re.findall(r"[a-z]+", name.casefold())
        if words and name.isascii():
            found.update({" ".join(words), "".join(words)})
    return frozenset(found)
