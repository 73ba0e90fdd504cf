"""`saphan caseworker add|list|reset-password` on real databases (deactivate/activate:
tests/reliability/test_reliability_accounts.py)."""

from __future__ import annotations

from typer.testing import CliRunner

from cases import audit, sessions
from cases.accounts import authenticate
from cli.main import app
from saphan.db import in_session


def test_caseworker_add_creates_an_account_and_refuses_bad_input(app_env: str) -> None:
    runner = CliRunner()
    env = {"SAPHAN_NEW_PASSWORD": "a long enough password"}
    ok = runner.invoke(app, ["caseworker", "add", "Somchai", "--role", "system_admin"], env=env)
    assert ok.exit_code == 0, ok.output
    worker = in_session(authenticate, "somchai", "a long enough password")
    assert worker is not None and worker.role == "system_admin"
    again = runner.invoke(app, ["caseworker", "add", "somchai"], env=env)
    assert again.exit_code == 1 and "taken" in again.output
    bad_role = runner.invoke(app, ["caseworker", "add", "nok", "--role", "root"], env=env)
    assert bad_role.exit_code == 1 and "role" in bad_role.output
    short = runner.invoke(app, ["caseworker", "add", "nok"], env={"SAPHAN_NEW_PASSWORD": "123"})
    assert short.exit_code == 1 and in_session(authenticate, "nok", "123") is None


def test_reset_password_ends_every_session_and_list_shows_accounts(app_env: str) -> None:
    runner = CliRunner()
    env = {"SAPHAN_NEW_PASSWORD": "a long enough password"}
    assert runner.invoke(app, ["caseworker", "add", "somchai"], env=env).exit_code == 0
    assert runner.invoke(app, ["caseworker", "add", "nok", "--name", "Nok S."],
                         env=env).exit_code == 0
    worker = in_session(authenticate, "somchai", "a long enough password")
    assert worker is not None
    tokens = [in_session(sessions.start, worker.id, "th", 3600) for _ in range(2)]
    listed = runner.invoke(app, ["caseworker", "list"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split() for line in listed.output.splitlines()[1:]}
    assert rows["somchai"][1:5] == ["caseworker", "default", "active", "2"]
    assert rows["nok"][1:] == ["caseworker", "default", "active", "0", "Nok", "S."]

    weak = runner.invoke(app, ["caseworker", "reset-password", "somchai"],
                         env={"SAPHAN_NEW_PASSWORD": "short"})
    assert weak.exit_code == 1 and "at least" in weak.output
    assert all(in_session(sessions.current, t, 600) is not None for t in tokens)  # unchanged
    unknown = runner.invoke(app, ["caseworker", "reset-password", "nobody"], env=env)
    assert unknown.exit_code == 1 and "no caseworker" in unknown.output

    new = {"SAPHAN_NEW_PASSWORD": "another good passphrase"}
    done = runner.invoke(app, ["caseworker", "reset-password", "Somchai"], env=new)
    assert done.exit_code == 0 and "2 session(s) ended" in done.output, done.output
    assert all(in_session(sessions.current, t, 600) is None for t in tokens)
    assert in_session(authenticate, "somchai", "a long enough password") is None
    assert in_session(authenticate, "somchai", "another good passphrase") is not None
    actions = [(e.action, e.detail) for e in in_session(audit.entries)]
    assert ("password_reset", "somchai") in actions
    listed = runner.invoke(app, ["caseworker", "list"])
    assert [line.split()[1:5] for line in listed.output.splitlines()
            if line.startswith("somchai")] == [["caseworker", "default", "active", "0"]]
