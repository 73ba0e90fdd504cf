"""docker-compose.yml lines up with the settings module, the endpoints file and the lock files."""

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


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_services_have_healthchecks_and_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("volumes"), f"{name} has no volumes"


def test_app_environment_is_the_settings_module(compose: dict[str, Any]) -> None:
    fields = {f"SAPHAN_{name.upper()}" for name in Settings.model_fields}
    for name in ("gateway", "actions"):
        env = compose["services"][name]["environment"]
        assert set(env) <= fields, set(env) - fields
        for needed in ("SAPHAN_DATABASE_URL", "SAPHAN_RASA_URL", "SAPHAN_ACTION_SERVER_URL",
                       "SAPHAN_SESSION_KEY", "SAPHAN_INTERNAL_API_TOKEN"):
            assert needed in env, f"{name} lacks {needed}"


def _published_container_port(service: dict[str, Any]) -> int:
    return int(str((service.get("ports") or service["expose"])[0]).rsplit(":", 1)[-1])


def test_urls_point_at_the_right_services_and_ports(compose: dict[str, Any]) -> None:
    services = compose["services"]
    env = services["gateway"]["environment"]
    for var, target in (("SAPHAN_RASA_URL", "rasa"), ("SAPHAN_ACTION_SERVER_URL", "actions")):
        url = urlsplit(env[var])
        assert url.hostname == target
        assert url.port == _published_container_port(services[target])
    assert "--port 5005" in services["rasa"]["command"]
    assert services["actions"]["command"][-1] == str(urlsplit(env["SAPHAN_ACTION_SERVER_URL"]).port)
    assert int(env["SAPHAN_GATEWAY_PORT"]) == _published_container_port(services["gateway"])
    assert urlsplit(env["SAPHAN_DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(env["SAPHAN_REDIS_URL"]).hostname == "redis"


def test_rasa_gets_every_variable_endpoints_yml_reads(compose: dict[str, Any]) -> None:
    endpoints = (BOT_DIR / "endpoints.yml").read_text(encoding="utf-8")
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)\}", endpoints))
    rasa_env = compose["services"]["rasa"]["environment"]
    assert wanted <= set(rasa_env), wanted - set(rasa_env)
    # ... and the local path (saphan/processes.py) sets the same variables.
    local = set(tracker_store_env("sqlite:////tmp/t.db")) | set(lock_store_env(""))
    assert wanted <= local | {"SAPHAN_ACTION_SERVER_URL", "SAPHAN_ACTION_SERVER_TOKEN"}


def test_rasa_image_matches_the_locked_rasa_version() -> None:
    lock = (ROOT / "requirements" / "rasa.lock").read_text(encoding="utf-8")
    version = re.search(r"^rasa==(\S+)$", lock, flags=re.M)
    assert version
    dockerfile = (ROOT / "docker" / "rasa.Dockerfile").read_text(encoding="utf-8")
    assert f"FROM rasa/rasa:{version.group(1)}" in dockerfile
