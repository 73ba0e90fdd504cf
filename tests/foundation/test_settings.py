"""Settings come from the environment; `.env.example` documents every variable."""

from __future__ import annotations

import re

import pytest

from saphan.paths import ROOT
from saphan.settings import Settings


def documented_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^(SAPHAN_[A-Z0-9_]+)=", text, flags=re.M))


def test_env_example_documents_every_setting() -> None:
    expected = {f"SAPHAN_{name.upper()}" for name in Settings.model_fields}
    assert documented_variables() == expected


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_DATABASE_URL", "postgresql://u@db:5432/x")
    monkeypatch.setenv("SAPHAN_RASA_URL", "http://rasa:5999")
    settings = Settings()
    assert settings.database_url == "postgresql://u@db:5432/x"
    assert settings.rasa_port == 5999


def test_default_database_is_a_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAPHAN_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == f"sqlite:///{ROOT / 'var' / 'saphan.db'}"


def test_secrets_are_not_shown_in_repr() -> None:
    settings = Settings(secret_key="s3cr3t-value", internal_api_token="t0ken-value")  # type: ignore[arg-type]
    assert "s3cr3t-value" not in repr(settings)
    assert "t0ken-value" not in repr(settings)
