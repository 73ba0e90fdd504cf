"""Shared fixtures.

- `database_url`: a fresh database at the newest schema, once on SQLite and once on
  PostgreSQL when `TEST_DATABASE_URL` is set (tests using it run on both).
- `empty_url`: an empty database (no schema), on both, for migration tests that start from an
  older revision.
- `app_env`: points this process's settings/engine at `database_url`.
- `rasa_model` / `rasa_stack`: one real trained model per run (reused by content hash) and
  real Rasa + action-server processes on free ports (integration tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from saphan.db import reset_caches
from testsupport.browser import chromium, new_page
from testsupport.databases import migrated_database, postgres_schema_url, sqlite_url
from testsupport.stack import Stack, running_stack, stack_settings

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
DB_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against TEST_DATABASE_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="TEST_DATABASE_URL not set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=DB_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with migrated_database(request.param, tmp_path, POSTGRES_URL) as url:
        yield url


@pytest.fixture(params=DB_KINDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with postgres_schema_url(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def app_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Make `get_settings()` / `get_engine()` in this process use the test database."""
    monkeypatch.setenv("SAPHAN_DATABASE_URL", database_url)
    reset_caches()
    yield database_url
    reset_caches()


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    from saphan.rasa_model import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def stack_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite app database for the session-wide stack."""
    with migrated_database("sqlite", tmp_path_factory.mktemp("stackdb")) as url:
        yield url


@pytest.fixture(scope="session")
def rasa_stack(
    rasa_model: Path, stack_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Real Rasa + action server (one per test run), sharing `stack_database`."""
    work = tmp_path_factory.mktemp("stack")
    settings = stack_settings(stack_database, work)
    with running_stack(settings, rasa_model, log=work / "stack.log") as stack:
        yield stack


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium (`testsupport.browser`); each account gets its own `new_page`."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: object) -> object:
    """One page at phone size (390x844) in a fresh context."""
    return new_page(browser)
