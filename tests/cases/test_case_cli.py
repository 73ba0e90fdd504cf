"""`saphan caseworker add` on real databases."""

from __future__ import annotations

from typer.testing import CliRunner

from cases.accounts import authenticate
from cli.main import app
from saphan.db import in_session


def test_caseworker_add_creates_an_account_and_refuses_bad_input(app_env: str) -> None:
    runner = CliRunner()
    env = {"SAPHAN_NEW_PASSWORD": "a long enough password"}
    ok = runner.invoke(app, ["caseworker", "add", "Somchai", "--role", "admin"], env=env)
    assert ok.exit_code == 0, ok.output
    worker = in_session(authenticate, "somchai", "a long enough password")
    assert worker is not None and worker.role == "admin"
    again = runner.invoke(app, ["caseworker", "add", "somchai"], env=env)
    assert again.exit_code == 1 and "taken" in again.output
    bad_role = runner.invoke(app, ["caseworker", "add", "nok", "--role", "root"], env=env)
    assert bad_role.exit_code == 1 and "role" in bad_role.output
    short = runner.invoke(app, ["caseworker", "add", "nok"], env={"SAPHAN_NEW_PASSWORD": "123"})
    assert short.exit_code == 1 and in_session(authenticate, "nok", "123") is None
