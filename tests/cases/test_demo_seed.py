"""`saphan demo seed` on real databases: demo accounts in three example agencies of Tak with
passwords printed once (random, or set with --password), idempotent, refused in production."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from agencies import store
from cases.accounts import accounts_of, authenticate
from cli.demo import DEMO_ACCOUNTS
from cli.main import app
from saphan.db import in_session, reset_caches, session_scope


def _passwords(output: str) -> dict[str, str]:
    """username -> the password column of the printed table."""
    rows = [line.split(maxsplit=3) for line in output.splitlines()[1:] if line.startswith("demo-")]
    return {row[0]: row[3] for row in rows}


def test_seed_makes_accounts_in_three_agencies_with_random_passwords(app_env: str) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["demo", "seed"])
    assert done.exit_code == 0, done.output
    printed = _passwords(done.output)
    assert set(printed) == {"demo-msdhs", "demo-msdhs-lead", "demo-police", "demo-ngo"}
    assert len(set(printed.values())) == 4  # one random password each, no shared default
    with session_scope() as session:
        seen = {}
        for account in DEMO_ACCOUNTS:
            worker = authenticate(session, account.username, printed[account.username])
            assert worker is not None, account.username
            agency = store.get(session, worker.agency_id)
            assert agency.example
            seen[account.username] = (agency.code, worker.role)
    assert seen == {"demo-msdhs": ("tak-msdhs", "caseworker"),
                    "demo-msdhs-lead": ("tak-msdhs", "supervisor"),
                    "demo-police": ("tak-police-atp", "caseworker"),
                    "demo-ngo": ("tak-ngo", "caseworker")}

    again = runner.invoke(app, ["demo", "seed"])  # existing accounts keep their passwords
    assert again.exit_code == 0, again.output
    assert set(_passwords(again.output).values()) == {"(exists, unchanged; --reset sets a new one)"}
    assert in_session(authenticate, "demo-police", printed["demo-police"]) is not None
    assert len(in_session(accounts_of)) == 4

    reset = runner.invoke(app, ["demo", "seed", "--reset"])
    assert reset.exit_code == 0, reset.output
    fresh = _passwords(reset.output)["demo-police"]
    assert fresh != printed["demo-police"]
    assert in_session(authenticate, "demo-police", printed["demo-police"]) is None
    assert in_session(authenticate, "demo-police", fresh) is not None


def test_seed_takes_a_password_and_refuses_a_weak_one(app_env: str) -> None:
    runner = CliRunner()
    weak = runner.invoke(app, ["demo", "seed", "--password", "short"])
    assert weak.exit_code == 1 and "at least" in weak.output
    assert in_session(accounts_of) == []  # nothing written
    done = runner.invoke(app, ["demo", "seed", "--password", "try the nrm walk"])
    assert done.exit_code == 0, done.output
    assert set(_passwords(done.output).values()) == {"try the nrm walk"}
    assert in_session(authenticate, "demo-ngo", "try the nrm walk") is not None


def test_seed_is_refused_in_production(app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPHAN_ENVIRONMENT", "production")
    for key in ("SESSION_KEY", "PSEUDONYM_KEY", "INTERNAL_API_TOKEN", "RASA_AUTH_TOKEN",
                "ACTION_SERVER_TOKEN"):
        monkeypatch.setenv(f"SAPHAN_{key}", secrets.token_hex(24))
    monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    reset_caches()
    refused = CliRunner().invoke(app, ["demo", "seed", "--password", "try the nrm walk"])
    assert refused.exit_code == 1
    assert "refused in production" in refused.output
    with session_scope() as session:
        assert accounts_of(session) == []
        assert store.find(session, "tak-msdhs") is None
