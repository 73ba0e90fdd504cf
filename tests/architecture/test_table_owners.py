"""One owner per table: each table is written only by the module(s) declared here. Writes are
found with `ast` in every shipped file (see `code_scan.writes_of`: building a row, core
insert/update/delete, changing or deleting a loaded row, raw SQL)."""

from __future__ import annotations

from pathlib import Path

from cli.models import load_all
from saphan.paths import ROOT

from .code_scan import owner_violations, plant_tree, shipped_packages

#: table -> the modules allowed to write it (each owner also erases its own rows).
OWNERS: dict[str, set[str]] = {
    "directory_organisations": {"referral_directory.store"},
    "directory_services": {"referral_directory.store"},
    "directory_service_changes": {"referral_directory.history"},
    "line_users": {"gateway.users"},
    "inbox_events": {"gateway.inbox"},
    "outbox_messages": {"gateway.outbox"},
    "caseworkers": {"cases.accounts"},
    "caseworker_sessions": {"cases.sessions"},
    "login_throttle": {"cases.login_throttle"},
    "cases": {"cases.service"},
    "case_events": {"cases.service"},
    "case_messages": {"cases.service"},
    "case_notes": {"cases.service"},
    "case_referrals": {"cases.referrals"},
    "case_access": {"cases.referrals"},
    "case_stages": {"cases.stages"},
    "mdt_conferences": {"cases.mdt"},
    "agency_labels": {"cases.labels"},
    "case_labels": {"cases.labels"},
    "agencies": {"agencies.store"},
    "audit_log": {"cases.audit"},
    "case_notification_windows": {"cases.notification_limits"},
    "enrollment_codes": {"screening.enrollment"},
    "officers": {"screening.enrollment"},
    "screening_records": {"screening.store"},
    "practice_runs": {"screening.practice_runs"},
    # Rasa's tracker store (not an app table): only the part that talks to Rasa.
    "events": {"gateway.rasa_bridge"},
}


def models() -> dict[str, str]:
    """Model class name -> table name, for every app table."""
    return {mapper.class_.__name__: mapper.local_table.name
            for mapper in load_all().registry.mappers}


def test_every_table_has_a_declared_owner() -> None:
    assert set(models().values()) <= set(OWNERS)


def test_each_table_is_written_only_by_its_owner() -> None:
    problems = owner_violations(ROOT, shipped_packages(ROOT), models(), OWNERS)
    assert not problems, "\n".join(problems)


PLANTED = {
    "cases/service.py": """
from cases.models import Case, CaseEvent

def create(session):
    case = Case(status="open")
    session.add(case)
    session.add(CaseEvent(kind="created"))

def get_case(session, case_id) -> Case:
    return session.get(Case, case_id)

def close(session, case_id):
    case = session.get(Case, case_id)
    case.status = "closed"
""",
    "gateway/erasure.py": """
from sqlalchemy import delete, text, update
from cases.models import Case, CaseMessage
from cases import models

RASA_EVENTS = "events"

def erase(session, conversation_id, case_ids):
    session.execute(delete(CaseMessage).where(CaseMessage.case_id.in_(case_ids)))
    session.execute(update(models.Case).values(address=None))
    session.execute(text("DELETE FROM case_notes WHERE case_id = :id"))
    session.execute(text(f"DELETE FROM {RASA_EVENTS} WHERE sender_id = :s"))
    for case in session.scalars(select(Case).where(Case.conversation_id == conversation_id)):
        case.latitude = None
""",
    "gateway/processor.py": '''
"""Docstrings may say: UPDATE cases, DELETE FROM case_notes."""

def drop(session, case: "Case | None") -> None:
    session.delete(case)

def claim(session, case_id):
    found = get_case(session, case_id)
    found.assignee_id = 7
''',
}


def test_planted_writes_by_a_non_owner_are_caught(tmp_path: Path) -> None:
    plant_tree(tmp_path, ["gateway", "cases"], PLANTED)
    problems = owner_violations(tmp_path, shipped_packages(tmp_path), models(), OWNERS)
    caught = {problem.split(" (owned by")[0] for problem in problems}
    assert caught == {
        "gateway.erasure:9 delete(CaseMessage) -> case_messages",
        "gateway.erasure:10 update(Case) -> cases",
        "gateway.erasure:11 SQL on case_notes -> case_notes",
        "gateway.erasure:12 SQL on events -> events",
        "gateway.erasure:14 sets case.latitude -> cases",
        "gateway.processor:5 delete(case) -> cases",
        "gateway.processor:9 sets found.assignee_id -> cases",
    }, problems
