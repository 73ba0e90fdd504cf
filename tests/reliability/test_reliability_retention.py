"""Retention (issue 16, docs/privacy.md): with the clock moved past the retention periods, raw
LINE payloads and sent bodies of done events are deleted, closed cases are anonymised unless
on legal hold, and everything still needed (events being answered, their unsent batches,
open cases, recent data) stays. The same steps run from `saphan retention run [--dry-run]`
and periodically inside the gateway; a legal hold is set from the command line or by an admin
on the dashboard, and audited. Both databases."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest
from alembic import command
from sqlalchemy import inspect, select, text, update
from typer.testing import CliRunner

from cases import audit, referrals, service
from cases.accounts import add_caseworker
from cases.models import Case, CaseMessage, CaseNote
from cli.main import app as cli_app
from gateway import inbox, outbox
from gateway.app import retention_steps
from gateway.models import DONE, InboxEvent, OutboxMessage
from gateway.retention import run_retention
from saphan.db import in_session, make_engine, reset_caches, session_scope, utcnow
from saphan.migrate import alembic_config, upgrade
from saphan.settings import get_settings
from screening import practice_runs
from screening.models import PracticeRun
from screening.practice import Feedback
from testsupport.cases import Gateway, running_gateway
from testsupport.fake_line import FakeLine
from testsupport.polling import wait_for

DAY = timedelta(days=1)
MONTH = 30 * DAY
PASSWORD = "correct horse battery staple"
SECRET_TEXT = "I am at the pier with Somchai, 0812345678"


def seed_gateway(at: datetime) -> dict[str, int]:
    """Three events of one user: done at `at`, done 20 days later, still pending; an answer
    batch for each (the pending one's unsent)."""
    line = FakeLine()  # not started: only its event builder
    ids: dict[str, int] = {}
    with session_scope() as session:
        for name in ("old_done", "recent_done", "pending"):
            event = line.text_event("Uretention0001", f"{SECRET_TEXT} ({name})")
            inbox.store_events(session, "public", [event])
            row = session.scalar(select(InboxEvent).where(
                InboxEvent.webhook_event_id == event["webhookEventId"]))
            ids[name] = row.id
            [batch] = outbox.record(session, row.id, "public", "Uretention0001", "answer",
                                    [[{"type": "text", "text": f"answer to {name}"}]])
            ids[f"{name}_batch"] = batch.id
            if name != "pending":
                done_at = at if name == "old_done" else at + 20 * DAY
                session.execute(update(InboxEvent).where(InboxEvent.id == row.id)
                                .values(status=DONE, completed_at=done_at))
                session.execute(update(OutboxMessage).where(OutboxMessage.id == batch.id)
                                .values(created_at=done_at, sent_at=done_at, method="push"))
            session.execute(update(InboxEvent).where(InboxEvent.id == row.id)
                            .values(received_at=at))
    return ids


def seed_cases(at: datetime) -> dict[str, int]:
    """Closed at `at`: one plain, one on legal hold; one closed a month later; one open."""
    ids: dict[str, int] = {}
    with session_scope() as session:
        for name in ("closed", "held", "recent", "open"):
            created = service.create_case(session, service.NewCase(
                f"conv-{name}", "urgent", "emergency", "th", summary=SECRET_TEXT,
                province="Tak", latitude=16.7, longitude=98.5, address="near the pier",
                screening={"q1": "yes, they took my passport"},
                transcript=[{"sender": "user", "text": SECRET_TEXT}]))
            case_id = ids[name] = created.case.id
            session.flush()
            no_author: int = None  # type: ignore[assignment]
            service.add_note(session, case_id, f"note: {SECRET_TEXT}", no_author)
            referrals.record_service_referral(session, case_id, "Shelter A",
                                              "AdditionalServicesRequired", None,
                                              details=f"details: {SECRET_TEXT}")
            if name != "open":
                service.close(session, case_id, "Closed", f"closed: {SECRET_TEXT}", None)
                closed = at if name in ("closed", "held") else at + MONTH
                session.execute(update(Case).where(Case.id == case_id)
                                .values(closed_at=closed, created_at=at - DAY))
            if name == "held":
                service.set_legal_hold(session, case_id, True, "court order 12/2569", "admin1")
    return ids


def test_moving_the_clock_purges_payloads_and_anonymises_closed_cases(app_env: str) -> None:
    now = utcnow()
    ids = {**seed_gateway(now), **seed_cases(now)}
    steps = retention_steps(get_settings())  # 30 days of payloads, 24 months of closed cases

    report = run_retention(steps, now=now + 29 * DAY)  # within every period: nothing goes
    assert report["inbox_deleted"] == report["outbox_deleted"] == 0
    assert report["cases_anonymised"] == 0

    report = run_retention(steps, now=now + 31 * DAY)
    assert report["inbox_deleted"] == 1 and report["outbox_deleted"] == 1
    assert report["inbox_kept_not_done"] == 1
    with session_scope() as session:
        events = {r.id: r for r in session.scalars(select(InboxEvent))}
        batches = set(session.scalars(select(OutboxMessage.id)))
    assert ids["old_done"] not in events  # the raw payload, the LINE id and the text are gone
    assert SECRET_TEXT in events[ids["pending"]].payload  # still being answered: kept
    assert ids["recent_done"] in events  # done 11 days before: within the period
    assert ids["old_done_batch"] not in batches
    assert {ids["pending_batch"], ids["recent_done_batch"]} <= batches  # unsent one is needed

    report = run_retention(steps, now=now + 24 * MONTH + DAY)
    assert report["cases_anonymised"] == 1 and report["cases_on_legal_hold_kept"] == 1
    assert report["case_messages_deleted"] == 1 and report["case_notes_deleted"] == 1
    with session_scope() as session:
        old = session.get(Case, ids["closed"])
        assert old is not None and old.anonymised_at is not None
        assert (old.summary, old.screening, old.closure_reason) == ("", None, None)
        assert (old.province, old.latitude, old.longitude, old.address) == (None,) * 4
        assert old.conversation_id == f"anonymised-{old.id}"
        assert (old.status, old.priority, old.source) == ("Closed", "urgent", "emergency")
        assert old.created_at is not None and old.closed_at is not None  # dates stay
        assert not session.scalars(select(CaseMessage).where(CaseMessage.case_id == old.id)).all()
        assert not session.scalars(select(CaseNote).where(CaseNote.case_id == old.id)).all()
        assert [r.details for r in service.referrals(session, old.id)] == [None]
        assert [r.service_name for r in service.referrals(session, old.id)] == ["Shelter A"]
        assert "anonymised" in [e.kind for e in service.events(session, old.id)]
        for name in ("held", "recent", "open"):
            kept = session.get(Case, ids[name])
            assert kept is not None and kept.summary == SECRET_TEXT and kept.anonymised_at is None
            assert len(service.notes(session, kept.id)) == 1
        held = session.get(Case, ids["held"])
        assert held is not None and held.legal_hold_by == "admin1"
        assert held.legal_hold_reason == "court order 12/2569" and held.legal_hold_at
        # the anonymised case's conversation id no longer finds it
        assert service.open_case_for(session, "conv-closed") is None
        raw = session.execute(text("SELECT conversation_id FROM cases")).scalars().all()
        assert "conv-closed" not in raw

    again = run_retention(steps, now=now + 24 * MONTH + DAY)  # idempotent
    assert again["cases_anonymised"] == 0 and again["inbox_deleted"] == 0


def test_the_command_shows_a_dry_run_then_purges(app_env: str) -> None:
    long_ago = utcnow() - 26 * MONTH
    ids = {**seed_gateway(long_ago), **seed_cases(long_ago)}
    runner = CliRunner()

    dry = runner.invoke(cli_app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing changed" in dry.output
    assert re.search(r"inbox_deleted: 2\b", dry.output)  # both done events are past 30 days
    assert re.search(r"cases_anonymised: 2\b", dry.output)  # closed + recent (25 months ago)
    assert re.search(r"cases_on_legal_hold_kept: 1\b", dry.output)
    assert SECRET_TEXT not in dry.output
    with session_scope() as session:
        assert session.get(InboxEvent, ids["old_done"]) is not None
        assert session.get(Case, ids["closed"]).anonymised_at is None  # type: ignore[union-attr]

    released = runner.invoke(cli_app, ["retention", "release", str(ids["held"]), "--by", "ops"])
    assert released.exit_code == 0, released.output
    missing = runner.invoke(cli_app, ["retention", "hold", str(ids["closed"]), "--by", "ops",
                                      "--reason", " "])
    assert missing.exit_code == 1 and "reason" in missing.output
    hold = runner.invoke(cli_app, ["retention", "hold", str(ids["closed"]), "--by", "ops",
                                   "--reason", "police request 7"])
    assert hold.exit_code == 0, hold.output
    listed = runner.invoke(cli_app, ["retention", "holds"])
    assert f"case {ids['closed']}" in listed.output and "police request 7" in listed.output

    done = runner.invoke(cli_app, ["retention", "run"])
    assert done.exit_code == 0, done.output
    assert re.search(r"cases_anonymised: 2\b", done.output)  # held (released) + recent
    with session_scope() as session:
        assert session.get(InboxEvent, ids["old_done"]) is None
        assert session.get(Case, ids["closed"]).anonymised_at is None  # type: ignore[union-attr]
        assert session.get(Case, ids["held"]).anonymised_at is not None  # type: ignore[union-attr]
        actions = [(e.username, e.action, e.case_id) for e in audit.entries(session)]
    assert ("ops", "legal_hold_released", ids["held"]) in actions
    assert ("ops", "legal_hold", ids["closed"]) in actions


def test_the_gateway_runs_retention_on_its_own(app_env: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed_gateway(utcnow() - 31 * DAY)
    with running_gateway(monkeypatch, RETENTION_CHECK_S="0.3"):
        wait_for(lambda: in_session(lambda s: s.get(InboxEvent, ids["old_done"])) is None,
                 timeout=15)
        assert in_session(lambda s: s.get(InboxEvent, ids["pending"])) is not None


def _login(gateway: Gateway, username: str) -> tuple[httpx.Client, str]:
    client = gateway.client()
    page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    response = client.post("/dashboard/login", data={
        "username": username, "password": PASSWORD, "csrf": csrf.group(1)})
    assert response.status_code == 303, response.text
    queue = client.get("/dashboard")
    token = re.search(r'name="csrf" value="([^"]+)"', queue.text)
    assert queue.status_code == 200 and token
    return client, token.group(1)


def test_an_admin_sets_a_legal_hold_on_the_dashboard(app_env: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    in_session(add_caseworker, "boss", PASSWORD, "system_admin", "Boss")
    in_session(add_caseworker, "carl", PASSWORD, "caseworker", "Carl")
    case_id = seed_cases(utcnow())["closed"]
    assert case_id == 1
    with running_gateway(monkeypatch) as gateway:
        carl, token = _login(gateway, "carl")
        refused = carl.post(f"/dashboard/cases/{case_id}/legal-hold",
                            data={"on": "true", "reason": "mine", "csrf": token})
        assert refused.status_code == 403
        assert 'action="/dashboard/cases/1/legal-hold"' not in carl.get(
            f"/dashboard/cases/{case_id}").text  # the form is for admins only

        boss, token = _login(gateway, "boss")
        page = boss.get(f"/dashboard/cases/{case_id}").text
        assert 'action="/dashboard/cases/1/legal-hold"' in page
        done = boss.post(f"/dashboard/cases/{case_id}/legal-hold",
                         data={"on": "true", "reason": "court order 9/2569", "csrf": token})
        assert done.status_code == 303, done.text
        page = boss.get(f"/dashboard/cases/{case_id}").text
        assert "court order 9/2569" in page and "boss" in page
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.legal_hold and case.legal_hold_by == "boss"
        assert ("boss", "legal_hold") in [(e.username, e.action)
                                          for e in audit.entries(session, case_id)]
    report = run_retention(retention_steps(get_settings()), now=utcnow() + 25 * MONTH)
    assert report["cases_on_legal_hold_kept"] == 2  # this one and the one held in seed_cases
    assert in_session(service.get_case, case_id).anonymised_at is None


def test_migration_0008_down_and_up_keeps_every_case_row(app_env: str) -> None:
    """Downgrading 0008 must not copy `cases` (on SQLite that drops the table and its ON DELETE
    CASCADE would delete every case's events, messages and notes)."""
    ids = seed_cases(utcnow())
    config = alembic_config(app_env)
    command.downgrade(config, "0007_encryption_at_rest")
    engine = make_engine(app_env)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 4
            assert conn.execute(text("SELECT count(*) FROM case_notes")).scalar_one() == 4
            assert conn.execute(text("SELECT count(*) FROM case_events")).scalar_one() > 8
            assert "case_notification_windows" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    upgrade(app_env)
    reset_caches()
    held = in_session(service.get_case, ids["held"])
    assert not held.legal_hold  # the hold went with the column; the case did not
    assert len(in_session(service.notes, ids["held"])) == 1


def test_practice_runs_are_deleted_after_their_months(app_env: str) -> None:
    """Officers' practice runs (`practice_runs`) go `SAPHAN_RETENTION_PRACTICE_RUN_MONTHS`
    (default 12) after they finished; a dry run only counts them."""
    now = utcnow()
    result = Feedback(case_id="fishing_boat", result="likely_victim", expected="likely_victim",
                      missed=("cd_debt",), wrong=(), not_asked=(), context_errors=(),
                      interactions=12, seconds=300, expected_steps=())
    ids = {}
    with session_scope() as session:
        for name, finished in (("old", now), ("recent", now + 2 * MONTH)):
            row = practice_runs.record_run(session, None, "Police Chonburi", "TOT-26", result)
            row.finished_at = finished
            ids[name] = row.id

    def left() -> set[int]:
        return set(in_session(lambda s: list(s.scalars(select(PracticeRun.id)))))

    settings = get_settings()
    assert settings.retention_practice_run_months == 12
    steps = retention_steps(settings)
    assert run_retention(steps, now=now + 12 * MONTH - DAY)["practice_runs_deleted"] == 0
    dry = run_retention(steps, dry_run=True, now=now + 12 * MONTH + DAY)
    assert dry["practice_runs_deleted"] == 1 and left() == {ids["old"], ids["recent"]}
    assert run_retention(steps, now=now + 12 * MONTH + DAY)["practice_runs_deleted"] == 1
    assert left() == {ids["recent"]}
    shorter = retention_steps(settings.model_copy(update={"retention_practice_run_months": 1}))
    assert run_retention(shorter, now=now + 3 * MONTH + DAY)["practice_runs_deleted"] == 1
    assert left() == set()
