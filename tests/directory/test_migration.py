"""The hand-written migration creates exactly what the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cli.models import load_all

DIRECTORY_TABLES = {"directory_organisations", "directory_services"}


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
