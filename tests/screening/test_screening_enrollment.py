"""Officer enrollment and `saphan officer` on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from saphan.db import session_scope
from screening import enrollment
from screening.enrollment import EnrollmentError, hash_code, looks_like_code, parse_duration
from screening.models import EnrollmentCode
from testsupport.databases import scoped

runner = CliRunner()
active_officer = scoped(enrollment.active_officer)
issue_code = scoped(enrollment.issue_code)
redeem_code = scoped(enrollment.redeem_code)
list_officers = scoped(enrollment.list_officers)


def _issue(*args: str) -> str:
    result = runner.invoke(app, ["officer", "code", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def test_code_is_printed_once_stored_hashed_and_single_use(app_env: str) -> None:
    code = _issue("--agency", "DSDW Chonburi", "--role", "social worker", "--expires-in", "7d")
    assert looks_like_code(code)
    with session_scope() as session:
        stored = session.execute(select(EnrollmentCode)).scalar_one()
    assert stored.code_hash == hash_code(code) and code not in stored.code_hash

    officer = redeem_code("U-officer-1", code.lower().replace("-", " "))
    assert (officer.agency, officer.role) == ("DSDW Chonburi", "social worker")
    assert active_officer("U-officer-1") is not None
    with pytest.raises(EnrollmentError, match="not valid"):
        redeem_code("U-officer-2", code)
    assert active_officer("U-officer-2") is None


def test_wrong_and_expired_codes_enrol_nobody(app_env: str) -> None:
    code, _ = issue_code("Police", "investigator", timedelta(minutes=1))
    with session_scope() as session:
        row = session.execute(select(EnrollmentCode)).scalar_one()
        row.expires_at = row.created_at - timedelta(seconds=1)
    with pytest.raises(EnrollmentError):
        redeem_code("U-x", code)
    with pytest.raises(EnrollmentError):
        redeem_code("U-x", "ABCD-EFGH-JKLM")
    assert active_officer("U-x") is None


def test_list_and_revoke(app_env: str) -> None:
    first = _issue("--agency", "Labour Office", "--role", "inspector")
    second = _issue("--agency", "Police", "--role", "investigator", "--expires-in", "12h")
    one = redeem_code("U-one", first)
    redeem_code("U-two", second)
    listed = runner.invoke(app, ["officer", "list"])
    assert listed.exit_code == 0
    assert "Labour Office" in listed.stdout and "Police" in listed.stdout
    assert "U-one" not in listed.stdout  # the conversation id is not printed

    revoked = runner.invoke(app, ["officer", "revoke", str(one.id)])
    assert revoked.exit_code == 0, revoked.output
    assert active_officer("U-one") is None and active_officer("U-two") is not None
    assert "Labour Office" not in runner.invoke(app, ["officer", "list"]).stdout
    assert "Labour Office" in runner.invoke(app, ["officer", "list", "--all"]).stdout
    again = runner.invoke(app, ["officer", "revoke", str(one.id)])
    assert again.exit_code == 1 and "already revoked" in again.output
    missing = runner.invoke(app, ["officer", "revoke", "999"])
    assert missing.exit_code == 1 and "no officer" in missing.output


def test_bad_admin_input_is_refused_and_nothing_stored(app_env: str) -> None:
    for args in (
        ["--agency", "X", "--role", "Y", "--expires-in", "7 weeks"],
        ["--agency", "X", "--role", "Y", "--expires-in", "365d"],
        ["--agency", "   ", "--role", "Y"],
    ):
        result = runner.invoke(app, ["officer", "code", *args])
        assert result.exit_code == 1 and "ERROR" in result.output, args
    with session_scope() as session:
        assert session.execute(select(EnrollmentCode)).first() is None


def test_parse_duration() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("30m") == timedelta(minutes=30)
    with pytest.raises(EnrollmentError):
        parse_duration("0m")


def test_two_chats_racing_for_one_code_enrol_only_one(app_env: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    code, _ = issue_code("Police", "investigator", timedelta(days=1))

    def attempt(user: str) -> bool:
        try:
            redeem_code(user, code)
        except Exception:  # the loser sees EnrollmentError or a database conflict
            return False
        return True

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, [f"U-race-{n}" for n in range(4)]))
    assert results.count(True) == 1
    assert len(list_officers()) == 1


def test_delete_my_data_keeps_the_enrollment_and_says_so(app_env: str) -> None:
    code, _ = issue_code("Police", "investigator", timedelta(days=1))
    redeem_code("U-keep", code)
    erase = scoped(enrollment.erase_conversation)
    assert erase("U-keep") == {"officer_enrollments_kept": 1}
    assert erase("U-other") == {"officer_enrollments_kept": 0}
    assert active_officer("U-keep") is not None
