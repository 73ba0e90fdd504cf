"""docker-compose.yml and the images line up with the settings module, the endpoints file and
the lock files (static checks; `make compose-test` builds and runs the topology for real)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from saphan.paths import BOT_DIR, ROOT
from saphan.processes import lock_store_env, tracker_store_env
from saphan.settings import Settings

SERVICES = {"postgres", "redis", "rasa", "actions", "gateway"}
APP_SERVICES = ("gateway", "actions")
DEV_TOOLS = {"pytest", "ruff", "hypothesis", "playwright", "schemathesis", "kubernetes-validate"}
#: Settings a production deployment must choose itself: compose refuses to start without them.
REQUIRED = {"SAPHAN_INTERNAL_API_TOKEN", "SAPHAN_SESSION_KEY", "SAPHAN_PSEUDONYM_KEY",
            "SAPHAN_ENCRYPTION_KEYS", "SAPHAN_RASA_AUTH_TOKEN", "SAPHAN_ACTION_SERVER_TOKEN",
            "SAPHAN_LINE_CHANNELS"}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
REQUIREMENTS = ROOT / "requirements"
#: In the hashed locks (the images build with them), not in `pip freeze`'s locks.
BUILD_TOOLS = {"setuptools", "wheel", "pip"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _dockerfile(name: str) -> str:
    return (ROOT / "docker" / f"{name}.Dockerfile").read_text(encoding="utf-8")


def _pins(path: str) -> dict[str, str]:
    """name -> version of a lock file (names normalised as pip does), build tools aside."""
    text = (REQUIREMENTS / path).read_text(encoding="utf-8")
    pins = {re.sub(r"[-_.]+", "-", name).lower(): version
            for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.M)}
    return {name: version for name, version in pins.items() if name not in BUILD_TOOLS}


def test_services_have_healthchecks_volumes_and_restart_policies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("volumes"), f"{name} has no volumes"
        assert service.get("restart") in ("always", "unless-stopped"), f"{name}: no restart"


def test_dependencies_wait_for_health_and_the_gateway_not_for_rasa(
        compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert rule["condition"] == "service_healthy", (name, dependency)
            assert services[dependency]["healthcheck"]["test"]
    # The gateway stores webhooks and sends the fallback while Rasa or the actions are down.
    assert not {"rasa", "actions"} & set(services["gateway"]["depends_on"])


def test_app_containers_get_every_setting_in_production_mode(compose: dict[str, Any]) -> None:
    fields = {f"SAPHAN_{name.upper()}" for name in Settings.model_fields}
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert set(env) == fields, (set(env) - fields, fields - set(env))
        assert env["SAPHAN_ENVIRONMENT"] == "production"
        for needed in REQUIRED:
            assert f"${{{needed}:?" in str(env[needed]), f"{name}: {needed} is not required"


def test_urls_point_at_the_right_services_and_ports(compose: dict[str, Any]) -> None:
    services = compose["services"]
    env = services["gateway"]["environment"]
    for var, target in (("SAPHAN_RASA_URL", "rasa"), ("SAPHAN_ACTION_SERVER_URL", "actions")):
        url = urlsplit(env[var])
        assert url.hostname == target
        assert str(url.port) in services[target]["expose"]
    assert "--port 5005" in services["rasa"]["command"]
    assert services["actions"]["command"][-1] == str(urlsplit(env["SAPHAN_ACTION_SERVER_URL"]).port)
    assert services["gateway"]["ports"] == [f"{env['SAPHAN_GATEWAY_PORT']}:8000"]
    assert f"--port {env['SAPHAN_GATEWAY_PORT']}" in " ".join(services["gateway"]["command"])
    # (a `${VAR:?message}` in the password would read as a query: each variable -> "x")
    database = re.sub(r"\$\{[^}]*\}", "x", env["SAPHAN_DATABASE_URL"])
    assert urlsplit(database).hostname == "postgres"
    assert urlsplit(env["SAPHAN_REDIS_URL"]).hostname == "redis"
    assert services["rasa"]["environment"]["SAPHAN_REDIS_URL"] == env["SAPHAN_REDIS_URL"]


def test_rasa_gets_every_variable_endpoints_yml_reads(compose: dict[str, Any]) -> None:
    endpoints = (BOT_DIR / "endpoints.yml").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", endpoints))
    rasa_env = compose["services"]["rasa"]["environment"]
    assert wanted <= set(rasa_env), wanted - set(rasa_env)
    # ... and the local path (saphan/processes.py) sets the same variables.
    local = set(tracker_store_env("sqlite:////tmp/t.db")) | set(lock_store_env(""))
    assert wanted <= local | {"SAPHAN_ACTION_SERVER_URL", "SAPHAN_ACTION_SERVER_TOKEN"}


def test_base_images_are_pinned_by_digest(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "build" in service:
            continue
        default = re.fullmatch(r"\$\{\w+:-([^}]+)\}", service["image"])
        assert default and DIGEST.search(default.group(1)), f"{name}: {service['image']}"
    for name in ("app", "rasa"):
        text = _dockerfile(name)
        base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.M)
        assert base and DIGEST.search(base.group(1)), name
        assert re.findall(r"^FROM (.+)$", text, flags=re.M) == ["${PYTHON_IMAGE}"], name


def test_rasa_image_runs_the_launcher_on_the_locked_rasa() -> None:
    text = _dockerfile("rasa")
    assert 'ENTRYPOINT ["python", "-m", "saphan.rasa_launch"]' in text
    assert "COPY saphan/__init__.py saphan/language.py saphan/rasa_launch.py" in text
    assert "ARG PYTHON_IMAGE=python:3.10-" in text  # Rasa 3.6 runs on Python 3.10 only
    assert _pins("rasa-prod.lock") == _pins("rasa.lock")


def test_images_install_only_hashed_production_locks() -> None:
    assert "--require-hashes" in _dockerfile("app") and "app-prod.lock" in _dockerfile("app")
    assert "--require-hashes" in _dockerfile("rasa") and "rasa-prod.lock" in _dockerfile("rasa")
    for lock in ("app-prod.lock", "rasa-prod.lock"):
        text = (REQUIREMENTS / lock).read_text(encoding="utf-8")
        for requirement in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1]):
            if requirement.strip() and not requirement.startswith("#"):
                assert "--hash=sha256:" in requirement, f"{lock}: {requirement.splitlines()[0]}"
    prod, tested = _pins("app-prod.lock"), _pins("app.lock")
    assert not DEV_TOOLS & set(prod)
    assert {"pytest", "ruff"} <= set(tested)  # the dev lock has them; production has not
    assert prod == {name: tested[name] for name in prod}  # the versions the tests run against


def test_dockerignore_keeps_environments_secrets_and_data_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".env", ".venv", ".venv-rasa", "var", "models", "tests", ".git"} <= ignored
