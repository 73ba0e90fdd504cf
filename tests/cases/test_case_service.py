"""cases.service on real SQLite and PostgreSQL: state changes, events, validation, queue order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases import service
from cases.accounts import add_caseworker
from cases.service import AlreadyClaimed, CaseError, NewCase


def new(conversation: str = "c1", priority: str = "normal", **kw: object) -> NewCase:
    return NewCase(conversation_id=conversation, priority=priority, source="request", **kw)


@pytest.fixture
def workers(app_env: str) -> tuple[int, int]:
    a = add_caseworker("alice", "correct horse battery", "caseworker")
    b = add_caseworker("bob", "correct horse battery", "admin")
    return a.id, b.id


def kinds(case_id: int) -> list[tuple[str, str | None, str | None]]:
    return [(e.kind, e.from_value, e.to_value) for e in service.events(case_id)]


def test_create_records_case_transcript_and_events(app_env: str) -> None:
    created = service.create_case(new(
        priority="urgent", language="en", province="Chiang Mai", latitude=18.79, longitude=98.98,
        screening={"score": 7, "indicators": ["documents withheld"]},
        transcript=[{"sender": "user", "text": "help"}, {"sender": "bot", "text": "ok"}]))
    case = created.case
    assert created.created and case.status == "Active" and case.handoff_active
    assert [(m.sender, m.body) for m in service.transcript(case.id)] == [
        ("user", "help"), ("bot", "ok")]
    assert kinds(case.id) == [("created", None, "Active"), ("handoff", None, "started")]
    assert all(e.at is not None for e in service.events(case.id))


def test_open_case_of_a_conversation_is_reused_and_priority_raised(app_env: str) -> None:
    first = service.create_case(new(priority="normal")).case
    again = service.create_case(new(priority="urgent"))
    assert not again.created and again.case.id == first.id
    assert service.get_case(first.id).priority == "urgent"
    assert ("priority", "normal", "urgent") in kinds(first.id)


@pytest.mark.parametrize("bad", [
    {"priority": "critical"}, {"source": "phone"}, {"latitude": 13.7},
    {"latitude": 99.0, "longitude": 10.0}, {"conversation_id": ""},
    {"transcript": [{"sender": "hacker", "text": "x"}]},
])
def test_invalid_cases_are_refused_and_nothing_is_written(app_env: str, bad: dict) -> None:
    fields = {"conversation_id": "c1", "priority": "normal", "source": "request", **bad}
    with pytest.raises(CaseError):
        service.create_case(NewCase(**fields))  # type: ignore[arg-type]
    assert service.all_cases() == []


def test_claim_is_exclusive_and_logged(workers: tuple[int, int]) -> None:
    alice, bob = workers
    case = service.create_case(new()).case
    assert service.claim(case.id, alice).assignee_id == alice
    with pytest.raises(AlreadyClaimed):
        service.claim(case.id, bob)
    assert service.claim(case.id, alice).assignee_id == alice  # idempotent for the owner
    assert [k for k in kinds(case.id) if k[0] == "claimed"] == [("claimed", None, str(alice))]
    service.assign(case.id, bob, actor_id=alice)
    assert service.get_case(case.id).assignee_id == bob
    assert ("assigned", str(alice), str(bob)) in kinds(case.id)


def test_status_close_and_referral_rules(workers: tuple[int, int]) -> None:
    alice, _ = workers
    case = service.create_case(new()).case
    service.change_status(case.id, "FollowUp", alice)
    with pytest.raises(CaseError):
        service.change_status(case.id, "Closed", alice)  # closing needs an outcome
    with pytest.raises(CaseError):
        service.change_status(case.id, "Pending", alice)
    with pytest.raises(CaseError):
        service.close(case.id, "ClosedReferred", "sent to shelter", alice)  # no referral yet
    with pytest.raises(CaseError):
        service.add_referral(case.id, "Shelter", "BecauseISaidSo", alice)
    service.add_referral(case.id, "Shelter", "AdditionalServicesRequired", alice,
                         organisation="MSDHS", details="bed for 2 nights")
    with pytest.raises(CaseError):
        service.close(case.id, "ClosedReferred", "  ", alice)  # reason required
    closed = service.close(case.id, "ClosedReferred", "referred to shelter", alice)
    assert closed.status == "ClosedReferred" and closed.closed_at and not closed.handoff_active
    assert kinds(case.id)[-4:] == [("status", "Active", "FollowUp"),
                                   ("referral", None, "Shelter"),
                                   ("status", "FollowUp", "ClosedReferred"),
                                   ("handoff", "started", "ended")]
    with pytest.raises(CaseError):
        service.claim(case.id, alice)  # closed cases cannot change
    assert service.handoff_case_for("c1") is None


def test_notes_and_messages_validate(workers: tuple[int, int]) -> None:
    alice, _ = workers
    case = service.create_case(new()).case
    with pytest.raises(CaseError):
        service.add_note(case.id, "   ", alice)
    with pytest.raises(CaseError):
        service.add_message(case.id, "user", "x" * 5001)
    with pytest.raises(service.CaseNotFound):
        service.add_message(case.id + 99, "user", "hello")
    service.add_note(case.id, "called the shelter", alice)
    assert [n.body for n in service.notes(case.id)] == ["called the shelter"]


def test_queue_orders_by_priority_then_waiting_time(app_env: str) -> None:
    ids = {}
    for conversation, priority in [("a", "normal"), ("b", "urgent"), ("c", "high"),
                                   ("d", "urgent"), ("e", "normal")]:
        ids[conversation] = service.create_case(new(conversation, priority)).case.id
    closed = service.create_case(new("f", "urgent")).case.id
    service.close(closed, "Closed", "duplicate", None)
    assert [c.id for c in service.queue()] == [ids[k] for k in "bdcae"]


def test_urgent_unclaimed_cases_are_due_for_wider_notification_once(
        workers: tuple[int, int]) -> None:
    alice, _ = workers
    urgent = service.create_case(new("u", "urgent")).case
    claimed = service.create_case(new("v", "urgent")).case
    service.create_case(new("w", "high"))
    service.claim(claimed.id, alice)
    later = service.utcnow() + timedelta(seconds=301)
    assert service.due_for_renotify(300) == []  # not yet 5 minutes
    assert [c.id for c in service.due_for_renotify(300, now=later)] == [urgent.id]
    assert service.mark_notified(urgent.id, service.WIDE)
    assert not service.mark_notified(urgent.id, service.WIDE)  # a second worker does nothing
    assert service.due_for_renotify(300, now=later) == []
