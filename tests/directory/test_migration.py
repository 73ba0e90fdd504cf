"""The hand-written migration creates exactly what the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cli.models import load_all

DIRECTORY_TABLES = {"directory_organisations", "directory_services", "directory_service_changes"}


def _touches_directory(diff: object) -> bool:
    text = repr(diff)
    return any(name in text for name in DIRECTORY_TABLES)


def test_migration_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, load_all().metadata)
    assert [d for d in diffs if _touches_directory(d)] == []


def test_nearest_index_exists(engine: Engine) -> None:
    indexes = {
        i["name"]: i["column_names"] for i in inspect(engine).get_indexes("directory_services")
    }
    assert indexes["ix_directory_services_type_lat_lon"] == [
        "service_type",
        "latitude",
        "longitude",
    ]


def test_0010_downgrades_and_upgrades_keeping_services(database_url: str, engine: Engine) -> None:
    """0010_directory_admin (retired_on, verified_by, directory_service_changes) goes down to
    0009 and back up without losing a service (SQLite: the history table is dropped before the
    services table is rebuilt, so no cascade removes anything)."""
    from alembic import command
    from sqlalchemy import text

    from saphan.migrate import alembic_config, upgrade

    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO directory_services (external_id, service_type, name_en, national, "
            "phones, is_24h, languages, source, source_url, confidence, needs_phone, sample, "
            "retired_on) VALUES ('m-1', 'shelter', 'Kept', false, '[]', false, '[]', 't', '[]', "
            "'low', false, false, '2026-12-01')"))
        service_id = conn.execute(text("SELECT id FROM directory_services")).scalar_one()
        conn.execute(text(
            "INSERT INTO directory_service_changes (service_id, at, username, action, changes) "
            "VALUES (:id, '2026-12-01 00:00:00+00:00', 'alice', 'retired', '[]')"),
            {"id": service_id})
    engine.dispose()
    command.downgrade(alembic_config(database_url), "0009_agencies_nrm")
    columns = {c["name"] for c in inspect(engine).get_columns("directory_services")}
    assert "retired_on" not in columns and "verified_by" not in columns
    assert "directory_service_changes" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name_en FROM directory_services")).scalar_one() == "Kept"
    engine.dispose()
