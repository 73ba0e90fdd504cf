"""cases.service on real SQLite and PostgreSQL: state changes, events, validation, queue order.
Each call is one transaction, as at the edges (`in_session`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases import referrals, service
from cases.accounts import add_caseworker
from cases.service import AlreadyClaimed, CaseError, NewCase
from saphan.db import in_session, session_scope, utcnow


def new(conversation: str = "c1", priority: str = "normal", **kw: object) -> NewCase:
    return NewCase(conversation_id=conversation, priority=priority, source="request", **kw)


@pytest.fixture
def workers(app_env: str) -> tuple[int, int]:
    a = in_session(add_caseworker, "alice", "correct horse battery", "caseworker")
    b = in_session(add_caseworker, "bob", "correct horse battery", "system_admin")
    return a.id, b.id


def kinds(case_id: int) -> list[tuple[str, str | None, str | None]]:
    return [(e.kind, e.from_value, e.to_value) for e in in_session(service.events, case_id)]


def test_create_records_case_transcript_and_events(app_env: str) -> None:
    created = in_session(service.create_case, new(
        priority="urgent", language="en", province="Chiang Mai", latitude=18.79, longitude=98.98,
        screening={"score": 7, "indicators": ["documents withheld"]},
        transcript=[{"sender": "user", "text": "help"}, {"sender": "bot", "text": "ok"}]))
    case = created.case
    assert created.created and case.status == "Active" and case.handoff_active
    assert [(m.sender, m.body) for m in in_session(service.transcript, case.id)] == [
        ("user", "help"), ("bot", "ok")]
    assert kinds(case.id) == [("created", None, "Active"), ("handoff", None, "started"),
                              ("reason", None, "request")]  # the source's reason
    assert all(e.at is not None for e in in_session(service.events, case.id))


def test_open_case_of_a_conversation_is_reused_and_priority_raised(app_env: str) -> None:
    first = in_session(service.create_case, new(priority="normal")).case
    again = in_session(service.create_case, new(priority="urgent"))
    assert not again.created and again.case.id == first.id
    assert in_session(service.get_case, first.id).priority == "urgent"
    assert ("priority", "normal", "urgent") in kinds(first.id)


@pytest.mark.parametrize("bad", [
    {"priority": "critical"}, {"source": "phone"}, {"latitude": 13.7},
    {"latitude": 99.0, "longitude": 10.0}, {"conversation_id": ""},
    {"transcript": [{"sender": "hacker", "text": "x"}]},
])
def test_invalid_cases_are_refused_and_nothing_is_written(app_env: str, bad: dict) -> None:
    fields = {"conversation_id": "c1", "priority": "normal", "source": "request", **bad}
    with pytest.raises(CaseError):
        in_session(service.create_case, NewCase(**fields))  # type: ignore[arg-type]
    assert in_session(service.all_cases) == []


def test_claim_is_exclusive_and_logged(workers: tuple[int, int]) -> None:
    alice, bob = workers
    case = in_session(service.create_case, new()).case
    assert in_session(service.claim, case.id, alice).assignee_id == alice
    with pytest.raises(AlreadyClaimed):
        in_session(service.claim, case.id, bob)
    assert in_session(service.claim, case.id, alice).assignee_id == alice  # idempotent: owner
    assert [k for k in kinds(case.id) if k[0] == "claimed"] == [("claimed", None, str(alice))]
    in_session(service.assign, case.id, bob, actor_id=alice)
    assert in_session(service.get_case, case.id).assignee_id == bob
    assert ("assigned", str(alice), str(bob)) in kinds(case.id)


def test_status_close_and_referral_rules(workers: tuple[int, int]) -> None:
    alice, _ = workers
    case = in_session(service.create_case, new()).case
    in_session(service.change_status, case.id, "FollowUp", alice)
    with pytest.raises(CaseError):
        in_session(service.change_status, case.id, "Closed", alice)  # closing needs an outcome
    with pytest.raises(CaseError):
        in_session(service.change_status, case.id, "Pending", alice)
    with pytest.raises(CaseError):
        in_session(service.close, case.id, "ClosedReferred", "to shelter", alice)  # no referral
    with pytest.raises(CaseError):
        in_session(referrals.record_service_referral, case.id, "Shelter", "BecauseISaidSo", alice)
    in_session(referrals.record_service_referral, case.id, "Shelter",
               "AdditionalServicesRequired", alice, organisation="MSDHS",
               details="bed for 2 nights")
    with pytest.raises(CaseError):
        in_session(service.close, case.id, "ClosedReferred", "  ", alice)  # reason required
    closed = in_session(service.close, case.id, "ClosedReferred", "referred to shelter", alice)
    assert closed.status == "ClosedReferred" and closed.closed_at and not closed.handoff_active
    assert kinds(case.id)[-4:] == [("status", "Active", "FollowUp"),
                                   ("referral", None, "Shelter"),
                                   ("status", "FollowUp", "ClosedReferred"),
                                   ("handoff", "started", "ended")]
    with pytest.raises(CaseError):
        in_session(service.claim, case.id, alice)  # closed cases cannot change
    assert in_session(service.handoff_case_for, "c1") is None


def test_notes_and_messages_validate(workers: tuple[int, int]) -> None:
    alice, _ = workers
    case = in_session(service.create_case, new()).case
    with pytest.raises(CaseError):
        in_session(service.add_note, case.id, "   ", alice)
    with pytest.raises(CaseError):
        in_session(service.add_message, case.id, "user", "x" * 5001)
    with pytest.raises(service.CaseNotFound):
        in_session(service.add_message, case.id + 99, "user", "hello")
    in_session(service.add_note, case.id, "called the shelter", alice)
    assert [n.body for n in in_session(service.notes, case.id)] == ["called the shelter"]


def test_queue_orders_by_priority_then_waiting_time(app_env: str) -> None:
    ids = {}
    for conversation, priority in [("a", "normal"), ("b", "urgent"), ("c", "high"),
                                   ("d", "urgent"), ("e", "normal")]:
        ids[conversation] = in_session(service.create_case, new(conversation, priority)).case.id
    closed = in_session(service.create_case, new("f", "urgent")).case.id
    in_session(service.close, closed, "Closed", "duplicate", None)
    assert [c.id for c in in_session(service.queue)] == [ids[k] for k in "bdcae"]


def test_urgent_unclaimed_cases_are_due_for_wider_notification_once(
        workers: tuple[int, int]) -> None:
    alice, _ = workers
    urgent = in_session(service.create_case, new("u", "urgent")).case
    claimed = in_session(service.create_case, new("v", "urgent")).case
    in_session(service.create_case, new("w", "high"))
    in_session(service.claim, claimed.id, alice)
    later = utcnow() + timedelta(seconds=301)
    assert in_session(service.due_for_renotify, 300) == []  # not yet 5 minutes
    assert [c.id for c in in_session(service.due_for_renotify, 300, now=later)] == [urgent.id]
    assert in_session(service.mark_notified, urgent.id, service.WIDE)
    assert not in_session(service.mark_notified, urgent.id, service.WIDE)  # a second worker: no-op
    assert in_session(service.due_for_renotify, 300, now=later) == []


def test_erasing_a_conversation_keeps_its_cases_anonymised(app_env: str) -> None:
    kept = in_session(service.create_case, new(
        "c-erase", latitude=18.79, longitude=98.98, address="factory gate",
        transcript=[{"sender": "user", "text": "help"}, {"sender": "bot", "text": "ok"}])).case
    other = in_session(service.create_case, new("c-other", transcript=[
        {"sender": "user", "text": "hello"}])).case
    with session_scope() as session:
        service.add_message(session, kept.id, "user", "my boss took my passport")
    assert in_session(service.erase_conversation, "c-erase") == {
        "cases_anonymised": 1, "case_messages_deleted": 3, "case_notes_deleted": 0,
        "cases_on_legal_hold_kept": 0}
    case = in_session(service.get_case, kept.id)
    assert case.status == "Active" and case.latitude is None and case.address is None
    assert case.conversation_id != "c-erase" and case.summary == "" and not case.handoff_active
    assert in_session(service.transcript, kept.id) == []
    assert in_session(service.case_ids_of, "c-erase") == []
    assert [m.body for m in in_session(service.transcript, other.id)] == ["hello"]
    assert in_session(service.erase_conversation, "nobody") == {
        "cases_anonymised": 0, "case_messages_deleted": 0, "case_notes_deleted": 0,
        "cases_on_legal_hold_kept": 0}
