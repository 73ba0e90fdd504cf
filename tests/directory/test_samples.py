"""Samples are for trying the system: never loaded, stored, searched or shown in production;
labelled everywhere else. The API is served over real HTTP (uvicorn on a loopback port); the
bot's answer is the action server's function; both databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from typer.testing import CliRunner

from actions.find_service import ActionSearchServices
from cli.bootstrap import prepare_database
from cli.main import app as cli_app
from content.catalogue import text as catalogue_text
from dashboard.services import suggested_services
from referral_directory import api
from referral_directory.bundled import bundled_records, load_bundled
from referral_directory.models import Service
from referral_directory.samples import REMOVE_COMMAND, count_samples, production_warning
from referral_directory.vocab import SAMPLE_NOTICE
from saphan.db import reset_caches, session_scope
from saphan.settings import get_settings
from testsupport.served import ServedApp

TOKEN = secrets.token_hex(24)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SAMPLE_IDS = {r.id for r in bundled_records() if r.sample}
NEW_SAMPLE = {"id": "new-sample", "type": "shelter", "name_en": "Made up", "province": "Tak",
              "source": "test", "confidence": "low", "sample": True}


def set_environment(monkeypatch: pytest.MonkeyPatch, environment: str) -> None:
    """Development or production settings (production with strong secrets: the CLI checks)."""
    monkeypatch.setenv("SAPHAN_ENVIRONMENT", environment)
    monkeypatch.setenv("SAPHAN_ADMIN_API_TOKEN", TOKEN)
    if environment == "production":
        for name in ("SESSION_KEY", "PSEUDONYM_KEY", "INTERNAL_API_TOKEN", "RASA_AUTH_TOKEN",
                     "ACTION_SERVER_TOKEN"):
            monkeypatch.setenv(f"SAPHAN_{name}", secrets.token_hex(24))
        monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    reset_caches()
    assert get_settings().environment == environment


@pytest.fixture
def served(app_env: str) -> Iterator[str]:
    """The directory API on a real HTTP port (settings are read per request)."""
    app = FastAPI()
    app.include_router(api.router)
    with ServedApp(app, lifespan="off") as server:
        yield server.url


@pytest.fixture
def dev_loaded(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database as a development run leaves it: real entries and samples."""
    set_environment(monkeypatch, "development")
    with session_scope() as session:
        load_bundled(session)
        assert count_samples(session) == len(SAMPLE_IDS) > 0


def search_answer(service_type: str, province: str, language: str) -> list[dict[str, Any]]:
    """What the bot sends for a search (the action server's function)."""
    parse = {"text": "x", "intent": {"name": "inform"}, "entities": [], "language": language}
    events = [{"event": "user", "text": "x", "parse_data": parse, "metadata": {}}]
    tracker = Tracker("conv-samples", {"service_type": service_type, "province": province},
                      parse, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    ActionSearchServices().run(dispatcher, tracker, {})
    return dispatcher.messages


def cards_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return next(m["custom"]["services"] for m in messages if m.get("custom"))


def test_development_shows_samples_labelled(dev_loaded: None, served: str) -> None:
    body = httpx.get(f"{served}/api/services", params={"type": "shelter", "province": "Tak"})
    items = body.json()["items"]
    samples = [i for i in items if i["sample"]]
    assert samples and all(i["notice"] == SAMPLE_NOTICE for i in samples)
    assert all(i["notice"] is None for i in items if not i["sample"])
    label = catalogue_text("bot", "sample_label", "en")
    names = [c["name"] for c in cards_of(search_answer("shelter", "Tak", "en"))]
    assert any(name.startswith(label) for name in names)
    with session_scope() as session:
        suggested = suggested_services(session, SimpleNamespace(  # only samples there
            province="Rayong", latitude=None, longitude=None, language="th"))
    thai_label = catalogue_text("bot", "sample_label", "th")
    assert all(s["name"].startswith(thai_label) == s["sample"] for s in suggested)
    assert any(s["sample"] for s in suggested)


def test_production_never_serves_a_sample(dev_loaded: None, served: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope() as session:
        sample_row = session.scalar(select(Service.id).where(Service.sample.is_(True),
                                                             Service.province == "Tak"))
    set_environment(monkeypatch, "production")
    # the samples a development run left are still in the database: hidden everywhere
    for params in ({"type": "shelter", "province": "Tak"}, {"province": "Chiang Mai"},
                   {"lat": 16.71, "lon": 98.57, "limit": 100}, {"limit": 100},
                   {"type": "embassy", "province": "Bangkok"}):
        items = httpx.get(f"{served}/api/services", params=params).json()["items"]
        assert not any(i["sample"] or i["external_id"] in SAMPLE_IDS for i in items), params
    assert httpx.get(f"{served}/api/services/{sample_row}").status_code == 404
    refused = httpx.post(f"{served}/api/services", json=NEW_SAMPLE, headers=AUTH)
    assert refused.status_code == 422 and "not allowed in production" in refused.text
    real = httpx.post(f"{served}/api/services", json={**NEW_SAMPLE, "sample": False},
                      headers=AUTH)
    assert real.status_code == 201 and real.json()["sample"] is False

    label = catalogue_text("bot", "sample_label", "th")
    for service_type, province in (("shelter", "Tak"), ("labour_complaint", "Chiang Mai"),
                                   ("embassy", "Bangkok")):
        cards = cards_of(search_answer(service_type, province, "th"))
        assert cards and not any(label in c["name"] for c in cards)
    with session_scope() as session:
        for place in ({"province": "Rayong", "latitude": None, "longitude": None},
                      {"province": "Tak", "latitude": 16.71, "longitude": 98.57}):
            suggested = suggested_services(session, SimpleNamespace(**place, language="th"))
            assert not any(s["sample"] for s in suggested), place
        warning = production_warning(session)
    assert warning and str(len(SAMPLE_IDS)) in warning and REMOVE_COMMAND in warning


def test_production_loads_no_samples_and_start_up_says_so(
        app_env: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    set_environment(monkeypatch, "production")
    settings = get_settings()
    prepare_database(settings)  # what `saphan run` does before starting the processes
    with session_scope() as session:
        assert count_samples(session) == 0
        total = session.scalar(select(func.count()).select_from(Service))
    assert total == len(bundled_records(include_samples=False))
    assert "WARNING" not in capsys.readouterr().err

    set_environment(monkeypatch, "development")
    with session_scope() as session:
        load_bundled(session)  # a development run on the same database
    set_environment(monkeypatch, "production")
    prepare_database(get_settings())
    err = capsys.readouterr().err
    assert f"WARNING: {len(SAMPLE_IDS)} sample directory entries" in err
    assert REMOVE_COMMAND in err


def test_cli_refuses_samples_in_production_and_removes_them(
        dev_loaded: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runner = CliRunner()
    set_environment(monkeypatch, "production")
    data = tmp_path / "mixed.yaml"
    data.write_text(
        "services:\n"
        "  - {id: real-1, type: shelter, name_en: Real, province: Tak, source: t,\n"
        "     confidence: medium, sample: false, needs_phone: true}\n"
        "  - {id: fake-1, type: shelter, name_en: Fake, province: Tak, source: t,\n"
        "     confidence: low, sample: true}\n", encoding="utf-8")
    result = runner.invoke(cli_app, ["directory", "import", str(data)])
    assert result.exit_code == 1 and "fake-1" in result.output
    with session_scope() as session:  # one transaction: the real row was not imported either
        assert session.scalar(select(Service.id).where(Service.external_id == "real-1")) is None
    result = runner.invoke(cli_app, ["directory", "remove-samples"])
    assert result.exit_code == 0 and f"{len(SAMPLE_IDS)} sample entries removed" in result.output
    with session_scope() as session:
        assert count_samples(session) == 0
        assert session.scalar(select(func.count()).select_from(Service)) == len(
            bundled_records(include_samples=False))
