"""Migration 0009 on a database that had accounts and cases before agencies (SQLite and
PostgreSQL): they all end in the default agency, "admin" becomes "system_admin", and new
accounts (cases.accounts) land in the default agency too."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from agencies import store
from agencies.vocab import DEFAULT_AGENCY_CODE
from cases.accounts import add_caseworker
from saphan.db import make_engine, session_scope_for
from saphan.migrate import upgrade

BEFORE = "0008_retention_flood_guard"


def test_existing_accounts_and_cases_move_into_the_default_agency(empty_url: str) -> None:
    upgrade(empty_url, BEFORE)
    now = datetime.now(UTC)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        for username, role in (("old_admin", "admin"), ("old_worker", "caseworker")):
            conn.execute(text(
                "INSERT INTO caseworkers (username, display_name, role, password_hash, active, "
                "created_at) VALUES (:u, :u, :r, 'x', :a, :t)"), {"u": username, "r": role,
                                                                  "a": True, "t": now})
        conn.execute(text(
            "INSERT INTO cases (conversation_id, status, priority, source, language, summary, "
            "handoff_active, notify_level, legal_hold, created_at, updated_at) VALUES ('c-1', "
            "'Active', 'urgent', 'emergency', 'th', 'x', :f, 0, :f, :t, :t)"),
            {"f": False, "t": now})
    engine.dispose()

    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        default_id = conn.execute(text("SELECT id FROM agencies WHERE code = :c"),
                                  {"c": DEFAULT_AGENCY_CODE}).scalar_one()
        workers = {row.username: row.role for row in conn.execute(text(
            "SELECT username, role FROM caseworkers WHERE agency_id = :d"), {"d": default_id})}
        cases = conn.execute(text("SELECT count(*) FROM cases WHERE agency_id = :d"),
                             {"d": default_id}).scalar_one()
    engine.dispose()
    assert workers == {"old_admin": "system_admin", "old_worker": "caseworker"}
    assert cases == 1
    with session_scope_for(empty_url) as session:
        assert store.default_agency(session).id == default_id
        new = add_caseworker(session, "new_worker", "a long enough password")
        assert new.agency_id == default_id
