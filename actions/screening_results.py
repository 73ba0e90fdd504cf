"""The end of a screening: save the record, send the explained result, NRM next steps for this
person, directory options and the referral packet link; refer the screening to caseworkers as
a case (`cases.client`)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from cases.client import CaseApiError, CaseClient
from content.catalogue import has_text
from content.catalogue import text as catalogue_text
from referral_directory.cards import answer_cards, hotlines_for
from referral_directory.gazetteer import canonical_province, provinces
from referral_directory.search import ServiceQuery, search_services
from saphan.db import session_scope
from saphan.settings import get_settings
from screening.explain import explain
from screening.htcds import to_htcds
from screening.loader import default_screening
from screening.models import Officer
from screening.next_steps import next_steps_for
from screening.packet import PACKET_TTL_S, answered_by, packet_url, screening_json
from screening.records import ScreeningRecord
from screening.scoring import describe
from screening.session import ScreeningSession
from screening.store import load_record, save_record, set_case, to_record

log = logging.getLogger("saphan.actions.screening")

SERVICES_SHOWN = 3
PRIORITY = {"likely_victim": "high"}  # other results: "normal"
CASE_SOURCE = "officer screening"


def province_name(typed: str | None) -> str | None:
    """The directory's province name for what the officer typed ('Chonburi' → 'Chon Buri')."""
    if not typed:
        return None
    squashed = typed.replace(" ", "").casefold()
    return canonical_province(typed) or next(
        (name for name in provinces() if name.replace(" ", "").casefold() == squashed), None
    )


def send_services(dispatcher: CollectingDispatcher, service_type: str, province: str | None,
                  lang: str) -> None:
    """Up to three directory entries of `service_type` near the province (as cards), with
    the national hotlines for the need (so there is always a number to call)."""
    key = f"service_{service_type}"
    service = catalogue_text("screening", key, lang) if has_text("screening", key) \
        else service_type
    canonical = province_name(province)
    place = province or "-"
    with session_scope() as session:
        result = search_services(session, ServiceQuery(service_type=service_type,
                                                       province=canonical,
                                                       limit=SERVICES_SHOWN))
        found, hotlines = answer_cards(result.hits, service_type, lang,
                                       SERVICES_SHOWN + len(hotlines_for(service_type)))
    key = "services_near" if found else "services_none"
    dispatcher.utter_message(text=catalogue_text("screening", key, lang,
                                                 service=service, province=place))
    dispatcher.utter_message(json_message={"services": found + hotlines, "alt_text": service})


def send_outcome(dispatcher: CollectingDispatcher, session: ScreeningSession,
                 officer: Officer, note: str | None = None) -> str:
    """Save the finished screening; send the explained result (with `note`, e.g. that the
    person answered through unreviewed drafts), the next steps for this person, services near
    the province and the referral packet link. Returns the record id."""
    lang = session.state.officer_lang
    record = session.record(str(officer.id), officer.agency)
    with session_scope() as db:
        save_record(db, record, officer.id)
    explanation = explain(session.data, record.context, record.answers, lang,
                          interactions=session.state.interactions, module=record.result.module)
    heading = catalogue_text("screening", "result_heading", lang, count=len(record.answers))
    result = f"{heading}\n{explanation.render_result()}"
    dispatcher.utter_message(text=f"{result}\n{note}" if note else result)
    dispatcher.utter_message(text=explanation.render_next())
    province = record.context.get("province")
    for search in next_steps_for(record.result.category, province).searches:
        send_services(dispatcher, search.service_type, province, lang)
    dispatcher.utter_message(text=catalogue_text(
        "screening", "packet_link", lang, hours=PACKET_TTL_S // 3600,
        url=packet_url(record.id)))
    return record.id


def case_summary(record: ScreeningRecord, lang: str) -> str:
    """The case summary caseworkers read (in the queue, and in a referral that shares the
    summary): the result in words and, when the person answered on the phone, in which
    language and whether through unreviewed drafts, so that the answers are weighed."""
    summary = describe(default_screening(), record.result, lang,
                       stopped_early=record.stopped_early)
    if record.answered_by != "person":
        return summary
    heading = catalogue_text("screening", "packet_answered", lang)
    return f"{summary}\n{heading}: {answered_by(record, lang)}"


async def refer_screening(conversation_id: str, record_id: str, lang: str) -> dict | None:
    """Create a case holding the whole screening; None when the case API failed."""
    with session_scope() as db:
        row = load_record(db, record_id)
        if row is None:
            return None
        record = to_record(row)
    province = record.context.get("province")
    fields: dict[str, Any] = {
        "conversation_id": conversation_id,
        "priority": PRIORITY.get(record.result.category, "normal"),
        "source": CASE_SOURCE,
        "language": lang,
        "summary": case_summary(record, lang),
        "screening": {**screening_json(record), "htcds": to_htcds(record)},
        "province": province_name(province),
    }
    try:
        case = await CaseClient.from_settings(get_settings()).create_case(**fields)
    except CaseApiError as exc:
        log.error("screening %s… referral failed: %s", record.id[:8], exc)
        return None
    with session_scope() as db:
        set_case(db, record.id, int(case["id"]))
    return case
