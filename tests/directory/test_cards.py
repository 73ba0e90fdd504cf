"""Service cards in the reader's language, with the hotlines for the need and the notices
(referral_directory/cards.py), as stored services on both databases and as LINE bubbles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from content.catalogue import catalogue
from content.catalogue import text as catalogue_text
from referral_directory.bundled import load_bundled
from referral_directory.cards import (
    answer_cards,
    hours_in_words,
    language_names,
    service_card,
)
from referral_directory.models import Service
from referral_directory.search import ServiceQuery, search_services
from referral_directory.staleness import STALE_DAYS
from referral_directory.store import upsert_records
from referral_directory.vocab import LANGUAGES
from saphan.language import LANGUAGES as READER_LANGUAGES
from saphan.line_messages import LOCATION_PAYLOAD, MAX_BUBBLES, quick_reply, service_cards

from .conftest import record

TODAY = date(2026, 12, 7)
#: A language code or a raw opening-hours text shown to a reader: never on a card.
CODE = re.compile(r"(?<![\w.])(" + "|".join(LANGUAGES) + r")(?![\w.])|mon-fri|\d{2}:\d{2}-\d")
THAI = re.compile(r"[\u0E00-\u0E7F]")


@pytest.fixture
def bundled(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s, s.begin():
        load_bundled(s, include_samples=True)
    with Session(engine) as s:
        yield s


def stored(session: Session, external_id: str) -> Service:
    stmt = select(Service).options(selectinload(Service.organisation)).where(
        Service.external_id == external_id)
    return session.scalars(stmt).one()


def card_text(card: dict) -> str:
    return " ".join(str(v) for k, v in card.items()
                    if k not in ("phone", "latitude", "longitude", "website"))


def test_hours_in_words_in_every_language() -> None:
    hours = "mon-fri 08:30-16:30, sat 09:00-12:00"
    assert hours_in_words(hours, "th") == "จันทร์–ศุกร์ 08:30–16:30, เสาร์ 09:00–12:00"
    assert hours_in_words(hours, "en") == "Mon–Fri 08:30–16:30, Sat 09:00–12:00"
    assert hours_in_words("daily 00:00-24:00", "lo") == "ທຸກມື້ 00:00–24:00"
    for language in READER_LANGUAGES:
        assert not CODE.search(hours_in_words(hours, language)), language


def test_language_names_never_codes() -> None:
    assert language_names(["th", "my", "km"], "th") == "ไทย, เมียนมา, เขมร"
    assert language_names(["en", "my", "vi", "shn"], "en") == "English, Myanmar, Vietnamese, Shan"
    for reader in READER_LANGUAGES:
        assert not CODE.search(language_names(list(LANGUAGES), reader)), reader


@pytest.mark.parametrize("language", READER_LANGUAGES)
def test_cards_have_no_code_and_fit_the_reader(bundled: Session, language: str) -> None:
    for province in ("Tak", "Chiang Mai", "Samut Sakhon", "Ranong", "Bangkok"):
        result = search_services(bundled, ServiceQuery(province=province, limit=50))
        for hit in result.hits:
            card = service_card(hit.service, language, distance_km=hit.distance_km, today=TODAY)
            assert not CODE.search(card_text(card)), (language, card)
            if language == "th" and hit.service.name_th:
                assert card["name"].endswith(hit.service.name_th)
            if language in ("my", "km", "lo") and hit.service.name_th:
                assert card["alt_name"] == hit.service.name_th  # to show a Thai speaker
            if language != "th":
                assert "address" not in card or not card["address"].endswith("ตาก")


def test_thai_card_of_a_sourced_entry(bundled: Session) -> None:
    mae_sot = stored(bundled, "police-screening-centre-mae-sot")
    card = service_card(mae_sot, "th", distance_km=0.2, today=TODAY)
    assert card["name"] == mae_sot.name_th
    assert card["address"].endswith(", ตาก")  # province in Thai, not "Tak"
    assert card["distance"] == catalogue_text("bot", "distance_about", "th", km="0.2")
    assert "latitude" not in card  # placed at the town's point: no map pin
    assert "phone" not in card and card["contact"] == catalogue_text("bot", "no_phone", "th")
    assert "1300" in card["contact"]  # how to reach it instead of a number
    assert "notice" not in card  # verified 2026-12-01, medium confidence: no warning


def test_sample_stale_and_low_confidence_entries_say_call_to_confirm(engine: Engine) -> None:
    fresh = TODAY.isoformat()
    old = date.fromordinal(TODAY.toordinal() - STALE_DAYS - 1).isoformat()
    with Session(engine) as s, s.begin():
        upsert_records(s, [
            record(id="sample", sample=True, last_verified=fresh),
            record(id="stale", sample=False, confidence="high", last_verified=old,
                   phones=["+6655123456"], opening_hours="mon-fri 08:30-16:30"),
            record(id="low", sample=False, confidence="low", last_verified=fresh),
            record(id="fresh", sample=False, confidence="high", last_verified=fresh,
                   phones=["+6655123457"], languages=["th", "my"], website="https://x.example",
                   latitude=16.8712, longitude=99.1254),  # its own point (not Tak's)
        ])
    confirm = catalogue_text("bot", "card_confirm", "en")
    with Session(engine) as s:
        cards = {i: service_card(stored(s, i), "en", today=TODAY)
                 for i in ("sample", "stale", "low", "fresh")}
    assert cards["sample"]["name"].startswith(catalogue_text("bot", "sample_label", "en"))
    assert [cards[i].get("notice") for i in ("sample", "stale", "low", "fresh")] == [
        confirm, confirm, confirm, None]
    assert cards["stale"]["hours"] == "Hours: Mon–Fri 08:30–16:30"
    assert cards["fresh"]["languages"] == "Languages: Thai, Myanmar"
    assert cards["fresh"]["website_label"] == "Website" and "contact" not in cards["fresh"]
    assert cards["fresh"]["map_label"] == "Map" and cards["fresh"]["latitude"] == 16.8712
    assert "latitude" not in cards["low"]  # on Tak's gazetteer point: placed, no map pin


@pytest.mark.parametrize(("need", "numbers"), [
    ("shelter", ["1300", "191"]),
    ("labour_complaint", ["1546", "1694", "1300", "191"]),
    ("medical", ["1669", "1300", "191"]),
    (None, ["1300", "191"]),
])
def test_every_answer_adds_the_hotlines_for_the_need(bundled: Session, need: str | None,
                                                     numbers: list[str]) -> None:
    facts = catalogue().facts  # the numbers of data/hotlines.yaml
    assert {facts["hotline_social"], facts["hotline_police"]} == {"1300", "191"}
    for province in ("Tak", "Nan", "Bangkok"):
        result = search_services(bundled, ServiceQuery(service_type=need, province=province,
                                                       limit=MAX_BUBBLES))
        found, hotlines = answer_cards(result.hits, need, "th", MAX_BUBBLES)
        assert len(found) + len(hotlines) <= MAX_BUBBLES
        shown = [c.get("phone") for c in found]
        # each hotline once: as a card, or already among the results
        assert [n for n in numbers if n not in shown] == [c["phone"] for c in hotlines]
        assert all(THAI.search(c["name"]) for c in hotlines)


def test_cards_become_line_bubbles_with_localised_buttons_and_notice(bundled: Session) -> None:
    sample = stored(bundled, "sample-ranong-shelter")
    card = service_card(sample, "km", distance_km=12.34, today=TODAY)
    assert card["distance"] == catalogue_text("bot", "distance", "km", km="12")
    [bubble] = service_cards([card], "x")["contents"]["contents"]
    texts = [c["text"] for c in bubble["body"]["contents"]]
    assert texts[-1] == catalogue_text("bot", "card_confirm", "km")
    assert bubble["body"]["contents"][-1]["color"] == "#a3261b"
    labels = [b["action"]["label"] for b in bubble["footer"]["contents"]]
    assert labels == [catalogue_text("bot", "btn_map", "km")]


def test_location_button_becomes_lines_location_action() -> None:
    items = quick_reply([{"title": "Send my location", "payload": LOCATION_PAYLOAD},
                         {"title": "Menu", "payload": "/menu"}])["items"]
    assert items[0]["action"] == {"type": "location", "label": "Send my location"}
    assert items[1]["action"]["type"] == "postback"


def test_open_now_flag_and_language_rank_first_among_equals(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        upsert_records(s, [
            record(id="a-thai", name_en="A", sample=False, languages=["th"],
                   opening_hours="mon-fri 08:30-16:30", latitude=16.700, longitude=98.570),
            record(id="b-burmese", name_en="B", sample=False, languages=["th", "my"],
                   latitude=16.701, longitude=98.571),
            record(id="c-open", name_en="C", sample=False, languages=["th"], is_24h=True,
                   latitude=16.702, longitude=98.572),
            record(id="d-far", name_en="D", sample=False, languages=["my"], is_24h=True,
                   latitude=16.9, longitude=98.9),
            record(id="e-sample", name_en="E", sample=True, languages=["my"], is_24h=True,
                   latitude=16.700, longitude=98.570),
        ])
    monday_10 = datetime(2026, 12, 7, 10, 0)
    sunday_10 = datetime(2026, 12, 6, 10, 0)
    with Session(engine) as s:
        def order(language: str | None, at: datetime) -> list[str]:
            query = ServiceQuery(service_type="shelter", latitude=16.7, longitude=98.57,
                                 prefer_language=language, at=at)
            return [h.service.external_id for h in search_services(s, query).hits]

        # within 5 km: verified, then speaking Myanmar, then open now, then nearest
        assert order("my", monday_10) == ["b-burmese", "a-thai", "c-open", "e-sample", "d-far"]
        assert order(None, monday_10) == ["a-thai", "c-open", "b-burmese", "e-sample", "d-far"]
        assert order(None, sunday_10) == ["c-open", "a-thai", "b-burmese", "e-sample", "d-far"]
        hits = search_services(s, ServiceQuery(service_type="shelter", province="Tak",
                                               at=monday_10)).hits
        flags = {h.service.external_id: h.open_now for h in hits}
        assert flags["a-thai"] and not flags["b-burmese"]
        assert hits[0].service.external_id == "a-thai"  # open now, by name among equals
        open_card = service_card(hits[0].service, "th", open_now=True)
        assert open_card["open"] == catalogue_text("bot", "open_now", "th")
        all_day = service_card(stored(s, "c-open"), "th", open_now=True)
        assert "open" not in all_day and all_day["hours"] == catalogue_text("bot", "open_24h",
                                                                            "th")
