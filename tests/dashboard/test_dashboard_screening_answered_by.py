"""Who answered a screening, on the case page (person-facing mode, migration 0013): the
person on the phone and in which language, and the warning when they saw unreviewed drafts,
in the interface's language, with the referral packet's wording."""

from __future__ import annotations

import html

import pytest
from dashboard_helpers import PASSWORD, login

from cases.accounts import add_caseworker
from content.catalogue import text
from saphan.db import in_session
from saphan.language import language_name
from testsupport.cases import Gateway

SCREENING = {"context": {"sector": "fishing"}, "answers": {"dr_job_nature": "yes"},
             "result": {"category": "indicators_present",
                        "positive_dimensions": ["deceptive_recruitment"],
                        "indicators": {"deceptive_recruitment": ["dr_job_nature"]}}}


@pytest.fixture
def alice(app_env: str) -> int:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice").id


def _story(page: str) -> str:
    return html.unescape(page.split('id="screening-story"')[1].split("</div>")[0])


def test_a_screening_the_person_answered_says_so_with_the_drafts_warning_in_thai_and_english(
        gateway: Gateway, alice: int) -> None:
    person = gateway.create_case(
        conversation_id="c-person", priority="high", source="officer screening",
        language="th", screening={**SCREENING, "answered_by": "person",
                                  "person_language": "my", "drafts_shown": True}).json()["id"]
    officer = gateway.create_case(
        conversation_id="c-officer", priority="high", source="officer screening",
        language="th", screening={**SCREENING, "answered_by": "officer",
                                  "person_language": None, "drafts_shown": False}).json()["id"]
    client, token = login(gateway, "alice")
    for lang in ("th", "en"):
        story = _story(client.get(f"/dashboard/cases/{person}").text)
        said = text("screening", "packet_answered_person", lang,
                    language=language_name("my", lang))
        assert text("screening", "packet_answered", lang) in story and said in story
        assert text("screening", "packet_answered_drafts", lang) in story
        story = _story(client.get(f"/dashboard/cases/{officer}").text)
        assert text("screening", "packet_answered_officer", lang) in story
        assert text("screening", "packet_answered_drafts", lang) not in story
        assert lang == "en" or client.post("/dashboard/language",
                                           data={"csrf": token}).status_code < 400
