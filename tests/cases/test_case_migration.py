"""Migration 0003_cases matches the models (no autogenerate diff for case tables)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cli.models import load_all
from saphan.db import make_engine

CASE_TABLES = {"caseworkers", "cases", "case_events", "case_messages", "case_notes",
               "case_referrals", "audit_log", "case_notification_windows"}


def _tables(diff: object) -> set[str]:
    found = set()
    for item in diff if isinstance(diff, list) else [diff]:
        if isinstance(item, list):
            found |= _tables(item)
            continue
        for part in item[1:] if isinstance(item, tuple) else []:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None:
                found.add(table.name)
            elif name in CASE_TABLES:
                found.add(name)
    return found


def test_case_tables_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_all().metadata)
    engine.dispose()
    assert not (_tables(diff) & CASE_TABLES), diff
