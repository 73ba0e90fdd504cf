"""A screening referred to caseworkers (`refer_screening`) becomes a case that says who
answered: the screening JSON carries `answered_by`, `person_language` and `drafts_shown` (and
the HTCDS row its `saphan_` columns), and when the person answered on the phone the case
summary says in which language and whether through unreviewed drafts. Over the real internal
API of the running gateway, on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from actions.screening_results import refer_screening
from cases import service
from content.catalogue import text as catalogue_text
from saphan.db import in_session
from saphan.language import language_name
from screening import store
from screening.adaptive import AdaptivePlanner
from screening.loader import ScreeningData
from screening.records import ScreeningRecord
from screening.session import ScreeningSession
from testsupport.cases import Gateway, running_gateway


@pytest.fixture
def gateway(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with running_gateway(monkeypatch) as gw:
        yield gw


def _finished(data: ScreeningData, planner: AdaptivePlanner) -> ScreeningRecord:
    session = ScreeningSession.start(data, planner, "en")
    while (prompt := session.prompt()) is not None:
        if prompt.kind == "context":
            session.answer(prompt.options[0][0] if prompt.options else "Chonburi")
        else:
            session.answer("yes")
    return session.record("7", "Police")


def _refer(record: ScreeningRecord, conversation_id: str) -> service.Case:
    in_session(store.save_record, record, None)
    case = asyncio.run(refer_screening(conversation_id, record.id, "en"))
    assert case is not None
    return in_session(service.get_case, int(case["id"]))


def test_the_case_says_the_person_answered_in_burmese_through_drafts(
        gateway: Gateway, data: ScreeningData, planner: AdaptivePlanner) -> None:
    record = replace(_finished(data, planner), answered_by="person", person_language="my",
                     drafts_shown=True)
    case = _refer(record, "c-person")
    screening = json.loads(case.screening)
    assert (screening["answered_by"], screening["person_language"],
            screening["drafts_shown"]) == ("person", "my", True)
    assert (screening["htcds"]["saphan_AnsweredBy"], screening["htcds"]["saphan_PersonLanguage"],
            screening["htcds"]["saphan_DraftsShown"]) == ("person", "my", "yes")
    answered = catalogue_text("screening", "packet_answered_person", "en",
                              language=language_name("my", "en"))
    drafts = catalogue_text("screening", "packet_answered_drafts", "en")
    assert case.summary.endswith(
        f"{catalogue_text('screening', 'packet_answered', 'en')}: {answered}; {drafts}")


def test_an_officer_screening_says_so_and_its_summary_is_the_result(
        gateway: Gateway, data: ScreeningData, planner: AdaptivePlanner) -> None:
    case = _refer(_finished(data, planner), "c-officer")
    screening = json.loads(case.screening)
    assert (screening["answered_by"], screening["person_language"],
            screening["drafts_shown"]) == ("officer", None, False)
    assert catalogue_text("screening", "packet_answered", "en") not in case.summary
    assert data.rules.wording["disclaimer"].get("en") in case.summary
