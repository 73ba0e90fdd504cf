"""`saphan db upgrade` / `saphan run` (cli.bootstrap.prepare_database): the example agencies
are loaded outside production only."""

from __future__ import annotations

from agencies import store
from cli.bootstrap import prepare_database
from saphan.db import session_scope_for
from saphan.settings import get_settings


def _examples(url: str) -> list[str]:
    with session_scope_for(url) as session:
        return [a.code for a in store.all_agencies(session, active_only=False) if a.example]


def test_examples_are_loaded_in_development_only(app_env: str) -> None:
    production = get_settings().model_copy(update={"environment": "production"})
    assert production.production
    prepare_database(production)
    assert _examples(app_env) == []
    development = get_settings()
    assert not development.production
    prepare_database(development)
    prepare_database(development)  # idempotent
    assert "tak-msdhs" in _examples(app_env) and len(set(_examples(app_env))) >= 8
