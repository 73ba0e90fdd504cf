"""Referral packet over real HTTP on real databases: the signed link opens a Thai + English
summary and the HTCDS JSON; a forged, altered or expired link is a 404."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape
from test_screening_person_mode import FISHING_BOAT, run_person, started

from content.catalogue import text as catalogue_text
from saphan.language import language_name
from saphan.settings import Settings, get_settings
from screening import person_mode, store
from screening.adaptive import AdaptivePlanner
from screening.loader import ScreeningData
from screening.packet import (
    PacketError,
    packet_html,
    packet_json,
    packet_token,
    packet_url,
    record_of,
    router,
)
from screening.session import ScreeningSession
from testsupport.databases import scoped
from testsupport.served import ServedApp

save_record = scoped(store.save_record)
load_record = scoped(store.load_record)
to_record = store.to_record
FISHING = {"ex_hours": "yes", "ex_pay": "yes", "cd_documents": "yes", "cd_debt": "yes",
           "dr_job_nature": "yes", "dr_wages": "yes"}


def finished(data: ScreeningData, planner: AdaptivePlanner) -> ScreeningSession:
    session = ScreeningSession.start(data, planner, "en", mode="card")
    session.answer("profile:no:labour")
    for value in ("fishing", "Myanmar", "Chonburi"):
        session.answer(value)
    while (prompt := session.prompt()) is not None:
        ticks = [str(line.number) for line in prompt.lines if line.item_id in FISHING]
        session.answer(" ".join(ticks) if ticks else "rest:no")
        if session.prompt() == prompt:
            session.answer("rest:no")
    return session


def test_token_is_signed_and_expires() -> None:
    settings = Settings(session_key="k1")
    token = packet_token("abc-123", settings, now=1000.0, ttl_s=60)
    assert record_of(token, settings, now=1059.0) == "abc-123"
    with pytest.raises(PacketError, match="expired"):
        record_of(token, settings, now=1061.0)
    with pytest.raises(PacketError, match="invalid"):
        record_of(token, Settings(session_key="k2"), now=1000.0)
    record_id, expires, signature = token.rsplit(".", 2)
    with pytest.raises(PacketError, match="invalid"):
        record_of(f"{record_id}.{int(expires) + 3600}.{signature}", settings, now=1000.0)
    with pytest.raises(PacketError, match="malformed"):
        record_of("nothing-here", settings)


def test_packet_link_opens_summary_and_htcds_json(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    session = finished(data, planner)
    record = session.record("7", "Police Chonburi")
    assert record.result.category == "likely_victim"
    save_record(record, None)
    app = FastAPI()
    app.include_router(router)
    with ServedApp(app, lifespan="off") as served:
        link = packet_url(record.id)
        path = link[len(get_settings().gateway_url.rstrip("/")):]
        page = httpx.get(served.url + path, timeout=10)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        html = page.text
        for lang in ("th", "en"):
            assert f'id="summary-{lang}" data-category="likely_victim"' in html
        for item_id in FISHING:
            item = data.questionnaire.item(item_id)
            assert item.label.en in html and item.label.th in html
            assert item.officer.en not in html and item.officer.th not in html
        assert "Myanmar" in html and "Chonburi" in html and "1300" in html
        assert "victim" not in html.replace("identify victims of trafficking", "") \
            .replace("likely_victim", "")

        download = httpx.get(f"{served.url}{path}/htcds.json", timeout=10)
        assert download.status_code == 200
        body = download.json()
        assert body["htcds"]["saphan_ScreeningId"] == record.id
        assert body["htcds"]["vic_MethodsOfControl"]
        assert body["screening"]["answers"] == dict(record.answers)
        assert set(body["explanation"]) == {"th", "en"}

        expired = packet_token(record.id, now=time.time() - 10, ttl_s=1)
        forged = path.rsplit(".", 1)[0] + ".0123456789abcdef0123456789abcdef"
        unknown = packet_token("00000000-0000-0000-0000-000000000000")
        for bad in (f"/screening/packet/{expired}", forged, f"/screening/packet/{unknown}",
                    f"/screening/packet/{unknown}/htcds.json"):
            response = httpx.get(served.url + bad, timeout=10)
            assert response.status_code == 404, bad
            assert record.id not in response.text


def test_packet_says_who_answered_in_which_language_and_drafts_shown(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    asked = finished(data, planner).record("7", "Police Chonburi")
    session = started("card")
    person_mode.hand_over(session, "my")
    run_person(session, dict.fromkeys(FISHING_BOAT, "yes"))
    person_mode.take_back(session)
    by_person = session.record("7", "Police Chonburi")
    assert (by_person.answered_by, by_person.person_language, by_person.drafts_shown) == \
        ("person", "my", True)
    save_record(asked, None)
    save_record(by_person, None)

    stored = to_record(load_record(by_person.id))
    html = packet_html(stored, "/x.json")
    for lang in ("th", "en"):
        said = catalogue_text("screening", "packet_answered_person", lang,
                              language=language_name("my", lang))
        drafts = catalogue_text("screening", "packet_answered_drafts", lang)
        assert str(escape(f"{said}; {drafts}")) in html
    assert 'data-answered-by="person" data-drafts-shown' in html
    body = packet_json(stored)["screening"]
    assert (body["answered_by"], body["person_language"], body["drafts_shown"]) == \
        ("person", "my", True)

    html = packet_html(to_record(load_record(asked.id)), "/x.json")
    assert 'data-answered-by="officer">' in html
    for lang in ("th", "en"):
        assert catalogue_text("screening", "packet_answered_officer", lang) in html
        assert catalogue_text("screening", "packet_answered_drafts", lang) not in html
    assert packet_json(asked)["screening"]["answered_by"] == "officer"
