"""Directory services as the gateway's service cards (`saphan/line_messages.service_cards`), in
the reader's language, and the national hotlines every answer listing services adds.

One builder for every surface that shows services to a person (the bot's search, the
officer's screening result, the cards a caseworker sends from the dashboard), so each gets the
same rules:
- name and organisation in Thai for Thai readers where the data has a Thai name, else English;
  Myanmar, Khmer and Lao readers get the English name with the Thai name under it (to show a
  driver or a guard);
- opening hours in words ("จันทร์–ศุกร์ 08:30–16:30"), language names instead of codes,
  the province in the reader's script (Thai for Thai readers, else English), distance in km
  ("about N km" and no map pin for an entry placed at its town's or province's point);
- a sample entry carries the sample label; a sample, low-confidence or stale entry (not
  verified for `STALE_DAYS`, the setting `SAPHAN_DIRECTORY_STALE_DAYS`) carries "call to
  confirm"; an entry without a known phone says
  how to reach it instead of a number;
- the hotlines relevant to the need (`hotlines_for`): 1300 and 191 always, 1546 and 1694 for
  labour, 1669 for medical; numbers come from `data/hotlines.yaml` through the catalogue's facts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from content.catalogue import catalogue, has_text, text
from referral_directory.gazetteer import is_gazetteer_point, provinces
from referral_directory.hours import hours_parts, now_bangkok
from referral_directory.models import Service
from referral_directory.search import Hit
from referral_directory.staleness import is_stale
from saphan.language import LANGUAGE_NAMES, language_name

#: National hotlines added to every answer listing services (facts of content/texts/facts.yml;
#: the card's name is the catalogue text `card_<fact>`), first those for the need.
HOTLINES_ALWAYS = ("hotline_social", "hotline_police")
HOTLINES_BY_NEED: dict[str, tuple[str, ...]] = {
    "labour_complaint": ("hotline_labour", "hotline_foreign_workers"),
    "medical": ("hotline_medical",),
}
#: Readers who get English names plus the Thai name (the data has names in th and en only).
THAI_NAME_TOO = ("my", "km", "lo")

Card = dict[str, Any]


def _t(key: str, language: str, **values: object) -> str:
    return text("bot", key, language, **values)


def _name(name_en: str, name_th: str | None, language: str) -> str:
    return name_th if language == "th" and name_th else name_en


def province_name(province: str | None, language: str) -> str | None:
    """The province in the reader's script: Thai for Thai readers, else the English name."""
    if not province:
        return None
    known = provinces().get(province)
    return known.name_th if language == "th" and known else province


def language_names(codes: list[str], language: str) -> str:
    """Languages spoken, named in the reader's language (never a code)."""
    names = []
    for code in codes:
        if code in LANGUAGE_NAMES:
            names.append(language_name(code, language))
        elif has_text("bot", f"lang_{code}"):
            names.append(_t(f"lang_{code}", language))
    return ", ".join(names)


def hours_in_words(hours: str, language: str) -> str:
    """'mon-fri 08:30-16:30, sat 09:00-12:00' in the reader's language."""
    shown = []
    for days, start, end in hours_parts(hours):
        named = "–".join(_t(f"day_{day}", language) for day in days)
        shown.append(f"{named} {start}–{end}")
    return ", ".join(shown)


def needs_confirming(service: Service, today: date | None = None) -> bool:
    """A sample, a low-confidence entry or a stale one (not verified for the setting's
    `directory_stale_days`, default `STALE_DAYS`: `staleness.is_stale`)."""
    stale = is_stale(service.last_verified, today or now_bangkok().date())
    return service.sample or service.confidence == "low" or stale


def _distance(km: float, language: str, approximate: bool) -> str:
    return _t("distance_about" if approximate else "distance", language,
              km=f"{km:.1f}" if km < 10 else f"{km:.0f}")


def service_card(service: Service, language: str, *, distance_km: float | None = None,
                 open_now: bool = False, today: date | None = None) -> Card:
    """One service as a card for a reader of `language` (keys: saphan/line_messages.py)."""
    name = _name(service.name_en, service.name_th, language)
    if service.sample:
        name = f"{_t('sample_label', language)} {name}"
    org = service.organisation
    org_name = _name(org.name_en, org.name_th, language) if org else None
    if service.is_24h:
        hours = _t("open_24h", language)
    elif service.opening_hours:
        hours = _t("hours", language, hours=hours_in_words(service.opening_hours, language))
    else:
        hours = None
    spoken = language_names(service.languages or [], language)
    phone = service.phones[0] if service.phones else None
    placed = is_gazetteer_point(service.latitude, service.longitude)  # by town or province
    card: Card = {
        "name": name,
        "alt_name": service.name_th if language in THAI_NAME_TOO and service.name_th else None,
        "organisation": " · ".join(
            p for p in (_t(f"type_{service.service_type}", language), org_name) if p),
        "address": ", ".join(p for p in (service.address,
                                         province_name(service.province, language)) if p)
        or None,
        "hours": hours,
        "open": _t("open_now", language) if open_now and not service.is_24h else None,
        "languages": _t("languages", language, languages=spoken) if spoken else None,
        "distance": _distance(distance_km, language, placed) if distance_km is not None
        else None,
        "contact": None if phone else _t("no_phone", language),
        "notice": _t("card_confirm", language) if needs_confirming(service, today) else None,
        "phone": phone,
        "latitude": None if placed else service.latitude,  # no map pin for a town's point
        "longitude": None if placed else service.longitude,
        "website": service.website,
    }
    if card["latitude"] is not None:
        card["map_label"] = _t("btn_map", language)
    if card["website"]:
        card["website_label"] = _t("btn_website", language)
    return {key: value for key, value in card.items() if value is not None}


def hit_card(hit: Hit, language: str, today: date | None = None) -> Card:
    """A search hit as a card (with its distance and open-now flag)."""
    return service_card(hit.service, language, distance_km=hit.distance_km,
                        open_now=hit.open_now, today=today)


def hotlines_for(service_type: str | None) -> tuple[str, ...]:
    """The facts (hotline placeholders) of the hotlines added for this need, in order."""
    return (*HOTLINES_BY_NEED.get(service_type or "", ()), *HOTLINES_ALWAYS)


def cards_of_hotlines(hotlines: tuple[str, ...], language: str) -> list[Card]:
    """Cards for hotline facts ("hotline_social", …), named in `language` (call buttons)."""
    facts = catalogue().facts
    return [{"name": _t(f"card_{fact}", language), "phone": facts[fact]} for fact in hotlines]


def hotline_cards(service_type: str | None, language: str) -> list[Card]:
    """The national hotline cards for the need, named in `language` (call buttons)."""
    return cards_of_hotlines(hotlines_for(service_type), language)


def answer_cards(hits: list[Hit], service_type: str | None, language: str,
                 limit: int) -> tuple[list[Card], list[Card]]:
    """Cards for an answer listing services: (the hits, the hotlines for the need that are
    not already among them), at most `limit` cards in all (hotlines are never cut)."""
    hotlines = hotline_cards(service_type, language)
    shown = [hit_card(hit, language) for hit in hits[: max(limit - len(hotlines), 0)]]
    numbers = {card.get("phone") for card in shown}
    return shown, [card for card in hotlines if card["phone"] not in numbers]
