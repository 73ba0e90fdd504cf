"""Overdue cases of every priority are notified again (issue 23): an unclaimed case past its
priority's target (`Settings.case_sla_s`) is re-notified once per target interval, to the
recipients of its first notice; urgent cases keep their one wider re-notification. On real
SQLite and PostgreSQL, and through the running gateway to the fake LINE server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from cases import service
from cases.accounts import add_caseworker
from content.catalogue import text
from saphan.db import in_session
from testsupport.cases import Gateway, running_gateway
from testsupport.polling import wait_for

TARGETS = {"urgent": 300.0, "high": 3600.0, "normal": 4 * 3600.0}


def _new(conversation: str, priority: str) -> service.Case:
    return in_session(service.create_case, service.NewCase(conversation, priority,
                                                           "request")).case


def test_one_reminder_per_target_interval_of_the_cases_priority(app_env: str) -> None:
    high, normal = _new("c-high", "high"), _new("c-normal", "normal")
    urgent, claimed = _new("c-urgent", "urgent"), _new("c-claimed", "high")
    worker = in_session(add_caseworker, "alice", "correct horse battery", "caseworker")
    in_session(service.claim, claimed.id, worker.id)
    for case in (high, normal, urgent, claimed):
        in_session(service.mark_notified, case.id, 1)  # the first notice went out
    start = high.created_at

    def due(after: timedelta) -> list[tuple[int, int]]:
        found = in_session(service.overdue_reminders_due, TARGETS, now=start + after)
        return [(case.id, level) for case, level in found]

    assert due(timedelta(minutes=59)) == []
    assert due(timedelta(minutes=61)) == [(high.id, 2)]  # urgent: `due_for_renotify` only
    assert in_session(service.mark_notified, high.id, 2)
    assert [e.to_value for e in in_session(service.events, high.id)
            if e.kind == "notified"] == ["level 1", "level 3"]  # a reminder (history text)
    assert due(timedelta(minutes=119)) == []  # once per interval
    assert due(timedelta(hours=4, minutes=1)) == [(high.id, 5), (normal.id, 2)]  # late: once
    assert in_session(service.mark_notified, high.id, 5)
    assert not in_session(service.mark_notified, high.id, 5)  # a second worker: no-op
    in_session(service.raise_priority, high.id, "urgent", "keyword")
    later = start + timedelta(hours=5)
    assert [c.id for c in in_session(service.due_for_renotify, 300, now=later)] == [
        high.id, urgent.id]  # raised to urgent after reminders: still notified wider once
    in_session(service.claim, normal.id, worker.id)
    assert due(timedelta(hours=9)) == []  # claimed: no more reminders


@pytest.fixture
def quick_gateway(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """The gateway with a 1.5 s target for high priority (checks every 0.2 s)."""
    with running_gateway(monkeypatch, URGENT_RENOTIFY_AFTER_S="600",
                         CASE_SLA_HIGH_S="1.5") as gw:
        yield gw


def text_pushes_to(gateway: Gateway, user_id: str) -> list[str]:
    return [m["text"] for kind, m in gateway.line.messages_to(user_id) if kind == "push"]


def test_an_unclaimed_high_case_past_its_target_is_notified_again_a_claimed_one_not(
        quick_gateway: Gateway) -> None:
    gateway = quick_gateway
    worker = in_session(add_caseworker, "alice", "correct horse battery", "caseworker")
    claimed = gateway.create_case(conversation_id="c-claimed", priority="high").json()["id"]
    in_session(service.claim, claimed, worker.id)
    waiting = gateway.create_case(conversation_id="c-waiting", priority="high").json()["id"]

    def about(case_id: int) -> list[str]:
        return [t for t in text_pushes_to(gateway, "Ucaseworker1") if f"#{case_id} " in t]

    reminder = wait_for(lambda: [t for t in about(waiting) if "still unclaimed" in t],
                        timeout=10)[0]
    template = text("cases", "renotify_overdue", None)
    assert reminder.startswith(template.split("{id}")[0]) and "high" in reminder
    assert f"/dashboard/cases/{waiting}" in reminder and "URGENT" not in reminder
    time.sleep(1.0)  # more checks ran: the claimed case got its first notice only
    assert len(about(claimed)) == 1 and "still unclaimed" not in about(claimed)[0]
    assert text_pushes_to(gateway, "Usupervisor") == []  # wide-only: urgent cases only
    assert in_session(service.get_case, waiting).notify_level >= 2
