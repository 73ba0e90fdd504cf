"""Fresh, migrated databases for tests and benchmarks: SQLite files and PostgreSQL schemas."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url

from saphan.db import in_session, make_engine
from saphan.migrate import upgrade

P = ParamSpec("P")
R = TypeVar("R")


def scoped(function: Callable[Concatenate[Any, P], R]) -> Callable[P, R]:
    """`function(session, ...)` as `function(...)` in its own `session_scope()`, like an edge
    (a CLI command or an action) calls it: one transaction per call."""

    @functools.wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return in_session(function, *args, **kwargs)

    return call


def sqlite_url(directory: Path, name: str = "saphan.db") -> str:
    return f"sqlite:///{directory / name}"


@contextmanager
def postgres_schema_url(base_url: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema; the schema is dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_database(kind: str, tmp_dir: Path, postgres_url: str | None = None) -> Iterator[str]:
    """Yield the URL of a fresh database at the newest schema (`kind`: sqlite|postgresql)."""
    if kind == "sqlite":
        url = sqlite_url(tmp_dir)
        upgrade(url)
        yield url
        return
    if not postgres_url:
        raise ValueError("PostgreSQL needs TEST_DATABASE_URL")
    with postgres_schema_url(postgres_url) as url:
        upgrade(url)
        yield url
