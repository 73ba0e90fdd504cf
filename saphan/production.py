"""Production refuses to start with a default, empty or weak secret.

One check for the three entry points (the gateway's app factory, the action server's `actions`
package, the `saphan` CLI): every problem is named by its variable, with how to make a good
value; values themselves are never shown.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from pydantic import SecretStr

from saphan.settings import DEV_ENCRYPTION_KEY, ENV_PREFIX, Settings, SettingsError

MIN_SECRET_CHARS = 32
MIN_DISTINCT_CHARS = 10
MAKE_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MAKE_FERNET = ("python -c 'from cryptography.fernet import Fernet; "
               "print(Fernet.generate_key().decode())'")
#: Secrets that must be set, strong and distinct from each other in production.
REQUIRED_SECRETS = ("session_key", "pseudonym_key", "internal_api_token", "rasa_auth_token",
                    "action_server_token")
#: Secrets that may be empty (the feature is then off) but, when set, must be strong.
OPTIONAL_SECRETS = ("admin_api_token", "metrics_token")
#: Parts of the public development defaults and other well-known placeholders.
WEAK_MARKERS = ("change-me", "changeme", "change_me", "secret", "password", "example", "dev-",
                "test", "default")


class ProductionSettingsError(SettingsError):
    """Production settings that must not be used; the message lists every problem."""


def _var(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _defaults() -> set[str]:
    values = set()
    for field in Settings.model_fields.values():
        if isinstance(field.default, SecretStr) and field.default.get_secret_value():
            values.add(field.default.get_secret_value())
    return values | {DEV_ENCRYPTION_KEY}


def weakness(value: str) -> str | None:
    """Why `value` is not a usable secret (None: it is)."""
    if not value.strip():
        return "is empty"
    if value in _defaults():
        return "is the public development default"
    lowered = value.lower()
    if any(marker in lowered for marker in WEAK_MARKERS):
        return "looks like a placeholder"
    if len(value) < MIN_SECRET_CHARS:
        return f"is too short ({len(value)} characters; at least {MIN_SECRET_CHARS})"
    if len(set(value)) < MIN_DISTINCT_CHARS:
        return "is too repetitive"
    return None


def _fernet_problem(key: str) -> str | None:
    from cryptography.fernet import Fernet

    if key == DEV_ENCRYPTION_KEY:
        return "is the public development default"
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return "is not a Fernet key"
    return None


def problems(settings: Settings) -> Iterator[str]:
    """Every reason these settings must not run in production (empty: they may)."""
    make = f"make one with: {MAKE_TOKEN}"
    seen: dict[str, str] = {}
    for field in REQUIRED_SECRETS + OPTIONAL_SECRETS:
        value = getattr(settings, field).get_secret_value()
        if field in OPTIONAL_SECRETS and not value:
            continue
        why = weakness(value)
        if why:
            yield f"{_var(field)} {why}; {make}"
        elif value in seen:
            yield (f"{_var(field)} is the same as {_var(seen[value])}; each secret must "
                   f"differ: {make}")
        else:
            seen[value] = field
    keys = settings.encryption_key_list
    if not keys:
        yield f"{_var('encryption_keys')} is empty; make a key with: {MAKE_FERNET}"
    for number, key in enumerate(keys, start=1):
        why = _fernet_problem(key)
        if why:
            yield (f"{_var('encryption_keys')} key {number} {why}; "
                   f"make a key with: {MAKE_FERNET}")
    notes_key = getattr(settings, "screening_notes_key", None)  # folded into encryption_keys
    if notes_key is not None and notes_key.get_secret_value():
        why = _fernet_problem(notes_key.get_secret_value())
        if why:
            yield f"{_var('screening_notes_key')} {why}; make a key with: {MAKE_FERNET}"


def check_production(settings: Settings) -> None:
    """Raise `ProductionSettingsError` naming every bad secret, in production only."""
    if not settings.production:
        return
    found = list(problems(settings))
    if found:
        raise ProductionSettingsError(
            "refusing to start in production (SAPHAN_ENVIRONMENT=production):\n  - "
            + "\n  - ".join(found))


def require_safe_settings(settings: Settings, process: str) -> None:
    """For a process's start: on bad production settings print why and exit with status 2."""
    try:
        check_production(settings)
    except ProductionSettingsError as exc:
        print(f"[saphan {process}] {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
