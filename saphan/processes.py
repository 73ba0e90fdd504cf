"""How each of Saphan's three processes is started: command line, environment, health URL.

One place used by `saphan run` (the local supervisor), the integration-test fixtures and
documented for docker-compose.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from saphan.paths import APP_VENV, BOT_DIR, ROOT
from saphan.rasa_launch import lock_store_env  # Rasa's lock store: one place (also at launch)
from saphan.rasa_model import rasa_env, rasa_executable
from saphan.settings import ENV_PREFIX, Settings


@dataclass(frozen=True)
class ProcessSpec:
    """A child process: what to run and how to tell it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str
    cwd: Path = ROOT


def tracker_store_env(url: str) -> dict[str, str]:
    """Variables `bot/endpoints.yml` reads for Rasa's tracker store, from a SQLAlchemy URL.

    Rasa 3.6 uses SQLAlchemy 1.4 with psycopg2, so a `+driver` suffix is dropped.
    """
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    if dialect == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    rasa_url = parsed.set(drivername=dialect).render_as_string(hide_password=False)
    return {"RASA_TRACKER_DIALECT": dialect, "RASA_TRACKER_URL": rasa_url}


def _revealed(value: Any) -> Any:
    """`value` with every secret as its plain text (for a child process's environment)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return value


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as `SAPHAN_*` variables, so child processes see exactly these values
    (lists such as the LINE channels as JSON, as they are read)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        value = _revealed(value)
        if value is None:
            text = ""  # unset: the child applies the same default
        else:
            text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        env[f"{ENV_PREFIX}{name.upper()}"] = text
    return env


def _child_env(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(base if base is not None else os.environ)
    env.update(settings_env(settings))
    env["PYTHONPATH"] = str(ROOT)
    return env


def rasa_spec(settings: Settings, model: Path) -> ProcessSpec:
    env = _child_env(settings, rasa_env())
    env["PYTHONPATH"] = rasa_env()["PYTHONPATH"]
    env.update(tracker_store_env(settings.tracker_store_url))
    env.update(lock_store_env(settings.redis_url))
    env["SAPHAN_ACTION_SERVER_URL"] = settings.action_server_url
    argv = [  # = `rasa run ...` with saphan/rasa_launch.py's speed-up
        str(rasa_executable().with_name("python")), "-m", "saphan.rasa_launch", "run",
        "--enable-api", "--auth-token", settings.rasa_auth_token.get_secret_value(),
        "--model", str(model),
        "--endpoints", str(BOT_DIR / "endpoints.yml"),
        "--credentials", str(BOT_DIR / "credentials.yml"),
        "--port", str(settings.rasa_port),
        "--interface", "127.0.0.1",
    ]
    return ProcessSpec("rasa", argv, env, rasa_status_url(settings))


def rasa_status_url(settings: Settings) -> str:
    """Rasa's `/status` (its HTTP API needs the auth token, as a `token` query parameter)."""
    return f"{settings.rasa_url}/status?{urlencode({'token': rasa_token(settings)})}"


def rasa_token(settings: Settings) -> str:
    return settings.rasa_auth_token.get_secret_value()


def _app_python() -> str:
    venv_python = APP_VENV / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def action_server_spec(settings: Settings) -> ProcessSpec:
    """rasa-sdk bound to loopback (it reads SANIC_HOST; its default is every interface); the
    `actions` package checks the production settings and Rasa's token (actions/guard.py)."""
    argv = [
        _app_python(), "-m", "rasa_sdk",
        "--actions", "actions",
        "--port", str(settings.action_server_port),
    ]
    env = _child_env(settings)
    env["SANIC_HOST"] = "127.0.0.1"
    health = f"{settings.action_server_url}/health"
    return ProcessSpec("actions", argv, env, health)


def gateway_spec(settings: Settings) -> ProcessSpec:
    argv = [
        _app_python(), "-m", "uvicorn", "gateway.app:create_app", "--factory",
        "--host", settings.gateway_host,
        "--port", str(settings.gateway_port),
        "--log-level", "warning",
    ]
    return ProcessSpec("gateway", argv, _child_env(settings), f"{settings.gateway_url}/healthz")
