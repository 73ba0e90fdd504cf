"""Settings come from the environment; `.env.example` documents every variable."""

from __future__ import annotations

import json
import re

import pytest

from saphan.paths import ROOT
from saphan.settings import (
    CaseworkerRecipientsError,
    LineChannelsError,
    Settings,
    SettingsError,
)


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
    settings = Settings(session_key="s3cr3t-value", internal_api_token="t0ken-value")  # type: ignore[arg-type]
    assert "s3cr3t-value" not in repr(settings)
    assert "t0ken-value" not in repr(settings)


def test_line_channels_and_recipients_are_typed_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_LINE_CHANNELS", '[{"name": "public", "audience": "public", '
                       '"secret": "s3cret", "access_token": "t0ken"}]')
    monkeypatch.setenv("SAPHAN_CASEWORKER_LINE_RECIPIENTS",
                       '[{"channel": "public", "user_id": "U1", "wide_only": true}]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    (channel,) = settings.line_channels
    assert (channel.name, channel.audience) == ("public", "public")
    assert channel.secret.get_secret_value() == "s3cret" and "s3cret" not in repr(settings)
    assert settings.caseworker_line_recipients[0].wide_only is True
    for empty in ("", "  ", "[]"):
        monkeypatch.setenv("SAPHAN_LINE_CHANNELS", empty)
        assert Settings(_env_file=None).line_channels == []  # type: ignore[call-arg]


@pytest.mark.parametrize("variable, value, error, where", [
    ("SAPHAN_LINE_CHANNELS", "not json", LineChannelsError, "not JSON"),
    ("SAPHAN_LINE_CHANNELS", '{"name": "public"}', LineChannelsError, "valid list"),
    ("SAPHAN_LINE_CHANNELS", '[{"name": "x", "audience": "boss", "secret": "s3cret-value", '
     '"access_token": "t"}]', LineChannelsError, "SAPHAN_LINE_CHANNELS[0].audience"),
    ("SAPHAN_LINE_CHANNELS", '[{"name": "a", "audience": "public", "secret": "s", '
     '"access_token": "t"}, {"name": "a", "audience": "officer", "secret": "s", '
     '"access_token": "t"}]', LineChannelsError, "duplicate channel names"),
    ("SAPHAN_CASEWORKER_LINE_RECIPIENTS", '[{"channel": "officer"}]',
     CaseworkerRecipientsError, "SAPHAN_CASEWORKER_LINE_RECIPIENTS[0].user_id"),
    ("SAPHAN_GATEWAY_PORT", "eighty", SettingsError, "SAPHAN_GATEWAY_PORT"),
])
def test_bad_values_raise_a_clear_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, error: type[Exception],
    where: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(error) as raised:
        Settings(_env_file=None)  # type: ignore[call-arg]
    message = str(raised.value)
    assert variable in message and where in message
    assert "s3cret-value" not in message  # values (secrets, LINE ids) are never shown


def test_child_processes_get_the_lists_back_as_json() -> None:
    from saphan.processes import settings_env

    channels = ('[{"name": "public", "audience": "public", "secret": "s3cret", '
                '"access_token": "t0ken"}]')
    env = settings_env(Settings(line_channels=channels))  # type: ignore[arg-type]
    assert json.loads(env["SAPHAN_LINE_CHANNELS"])[0]["secret"] == "s3cret"
    assert json.loads(env["SAPHAN_CASEWORKER_LINE_RECIPIENTS"]) == []


@pytest.mark.parametrize("environment, explicit, on", [
    ("development", "", True), ("production", "", False), ("production", "true", True),
    ("development", "false", False),
])
def test_simulator_and_docs_follow_the_environment_unless_set(
    monkeypatch: pytest.MonkeyPatch, environment: str, explicit: str, on: bool,
) -> None:
    monkeypatch.setenv("SAPHAN_ENVIRONMENT", environment)
    monkeypatch.setenv("SAPHAN_SIMULATOR_ENABLED", explicit)
    monkeypatch.setenv("SAPHAN_DOCS_ENABLED", explicit)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.simulator_on, settings.docs_on) == (on, on)
    assert settings.production is (environment == "production")


def test_trusted_proxies_and_key_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_TRUSTED_PROXIES", " 10.0.0.1, 172.16.0.0/12 ,")
    monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", "new-key, old-key")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.trusted_proxies == ["10.0.0.1", "172.16.0.0/12"]
    assert settings.encryption_key_list == ["new-key", "old-key"]
    assert "old-key" not in repr(settings)
    monkeypatch.setenv("SAPHAN_TRUSTED_PROXIES", "10.0.0.1,proxy.example")
    with pytest.raises(SettingsError, match="SAPHAN_TRUSTED_PROXIES"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_child_processes_read_back_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`saphan run` passes its settings to children as variables; unset stays unset."""
    from saphan.processes import settings_env

    for explicit in (None, False):
        settings = Settings(_env_file=None, trusted_proxies="10.0.0.1,10.1.0.0/16",  # type: ignore[call-arg]
                            simulator_enabled=explicit, environment="production")
        for name, value in settings_env(settings).items():
            monkeypatch.setenv(name, value)
        assert Settings(_env_file=None) == settings  # type: ignore[call-arg]
