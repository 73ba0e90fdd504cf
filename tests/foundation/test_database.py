"""Migrations build the schema on SQLite and PostgreSQL; SQLite runs in WAL mode."""

from __future__ import annotations

from sqlalchemy import inspect, text

from cli.models import load_all
from saphan.db import NUL_REPLACEMENT, make_engine
from saphan.migrate import current_heads, upgrade


def test_migrations_reach_head_and_create_every_model_table(database_url: str) -> None:
    from alembic.script import ScriptDirectory

    from saphan.migrate import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    assert current_heads(database_url) == heads
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(load_all().metadata.tables) <= tables


def test_upgrade_is_idempotent(database_url: str) -> None:
    before = current_heads(database_url)
    upgrade(database_url)
    assert current_heads(database_url) == before


def test_sqlite_uses_wal_and_busy_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_plain_postgresql_urls_use_psycopg3() -> None:
    engine = make_engine("postgresql://user@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_a_nul_in_text_is_stored_as_replacement_character(database_url: str) -> None:
    """PostgreSQL text cannot hold NUL (a 500 on any API field); both databases store U+FFFD."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE nul_probe (id INTEGER PRIMARY KEY, body TEXT)"))
            conn.execute(text("INSERT INTO nul_probe VALUES (:id, :body)"),
                         {"id": 1, "body": "a\x00b"})
            conn.execute(text("INSERT INTO nul_probe VALUES (:id, :body)"),
                         [{"id": 2, "body": "\x00"}, {"id": 3, "body": "plain"}])
            rows = conn.execute(text("SELECT body FROM nul_probe ORDER BY id")).scalars().all()
            assert rows == [f"a{NUL_REPLACEMENT}b", NUL_REPLACEMENT, "plain"]
            found = conn.execute(text("SELECT id FROM nul_probe WHERE body = :b"),
                                 {"b": "a\x00b"}).scalar_one()
            assert found == 1
            conn.execute(text("DROP TABLE nul_probe"))
    finally:
        engine.dispose()


def test_utc_datetime_column_stores_one_instant_and_returns_aware_utc(database_url: str) -> None:
    """Aware times in any zone and naive times (taken as UTC) come back as aware UTC, and
    compare correctly in queries, on SQLite and PostgreSQL."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import Column, Integer, MetaData, Table, select

    from saphan.db import UTCDateTime, as_utc, utcnow

    bangkok = timezone(timedelta(hours=7))
    probe = Table("utc_probe", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime))
    engine = make_engine(database_url)
    try:
        probe.create(engine)
        with engine.begin() as conn:
            conn.execute(probe.insert(), [
                {"id": 1, "at": datetime(2026, 1, 1, 12, 0, tzinfo=bangkok)},
                {"id": 2, "at": datetime(2026, 1, 1, 5, 30)},  # naive: UTC
                {"id": 3, "at": None},
            ])
            rows = dict(conn.execute(select(probe.c.id, probe.c.at)).all())
            later = conn.execute(select(probe.c.id).where(
                probe.c.at > datetime(2026, 1, 1, 12, 15, tzinfo=bangkok))).scalars().all()
        assert rows == {1: datetime(2026, 1, 1, 5, 0, tzinfo=UTC),
                        2: datetime(2026, 1, 1, 5, 30, tzinfo=UTC), 3: None}
        assert rows[1].tzinfo is UTC and later == [2]
        assert utcnow().tzinfo is UTC and as_utc(datetime(2026, 1, 1)).tzinfo is UTC
    finally:
        probe.drop(engine, checkfirst=True)
        engine.dispose()
