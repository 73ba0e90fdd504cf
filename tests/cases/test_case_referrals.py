"""Hand-overs between agencies (`cases.referrals`) on real SQLite and PostgreSQL: consent
decides what the receiver sees, accept/decline/withdraw rules, the audited override, the SLA
reminder; and in the running gateway: routing of a new case and the LINE notifications of the
agencies (only the receiving agency's recipients hear of a hand-over, anonymously)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from agencies import store as agencies
from cases import access, audit, referrals, service
from cases.accounts import add_caseworker
from cases.models import CaseReferral, Caseworker
from cases.referrals import HandoverIn, ReferralError, ReferralNotFound
from saphan.db import in_session, session_scope, utcnow
from testsupport.cases import Gateway, running_gateway
from testsupport.polling import wait_for

PASSWORD = "correct horse battery"
SUMMARY = "Ma Aye, 17, kept in a shrimp shed in Mae Sot; phone 081-555-0199"


@dataclass(frozen=True)
class World:
    msdhs: int  # agency ids
    police: int
    ngo: int
    social: Caseworker  # msdhs caseworker (owner side)
    officer: Caseworker  # police caseworker
    officer2: Caseworker  # another police caseworker
    ngo_worker: Caseworker
    case_id: int


def _agency(session: object, code: str, kind: str, provinces: tuple[str, ...] = ("Tak",),
            active: bool = True) -> int:
    row = agencies.add(session, agencies.AgencyIn(  # type: ignore[arg-type]
        code=code, name_th=f"th {code}", name_en=f"en {code}", kind=kind,
        provinces=provinces))
    if not active:
        agencies.set_active(session, code, False)  # type: ignore[arg-type]
    return row.id


def make_agencies(session: object) -> tuple[int, int, int]:
    return (_agency(session, "tak-msdhs", "msdhs_provincial"),
            _agency(session, "tak-police", "anti_trafficking_police"),
            _agency(session, "tak-ngo", "ngo"))


@pytest.fixture
def world(app_env: str) -> World:
    with session_scope() as session:
        msdhs, police, ngo = make_agencies(session)
        _agency(session, "closed-ngo", "ngo", active=False)
    social = in_session(add_caseworker, "social", PASSWORD, agency_id=msdhs)
    officer = in_session(add_caseworker, "officer", PASSWORD, agency_id=police)
    officer2 = in_session(add_caseworker, "officer2", PASSWORD, agency_id=police)
    ngo_worker = in_session(add_caseworker, "ngo", PASSWORD, agency_id=ngo)
    case = in_session(service.create_case, service.NewCase(
        "conv-r", "urgent", "emergency", "my", summary="locked in", province="Tak",
        address="near the market", screening={"score": 7}, agency_id=msdhs)).case
    return World(msdhs, police, ngo, social, officer, officer2, ngo_worker, case.id)


def handover(world: World, **fields: object) -> HandoverIn:
    values: dict[str, object] = {
        "reason": "AdditionalServicesRequired", "to_agency_id": world.police,
        "summary_for_receiver": SUMMARY, "shares": ["conversation", "screening"],
        "consent": "given", "consent_method": "chat", "consent_language": "my", **fields}
    return HandoverIn(**values)  # type: ignore[arg-type]


def refer(world: World, sla_s: float = 3600.0, **fields: object) -> CaseReferral:
    return in_session(referrals.refer, world.case_id, handover(world, **fields), world.social,
                      sla_s)


def view_of(worker: Caseworker, case_id: int) -> access.CaseView:
    return in_session(access.case_view, worker, case_id)


def test_consented_handover_shares_exactly_the_chosen_items(world: World) -> None:
    before = utcnow()
    sent = refer(world, sla_s=7200)
    assert sent.state == "pending" and sent.from_agency_id == world.msdhs
    assert sent.shares == ["summary", "conversation", "screening"]  # the summary is shared
    assert sent.consent_by == world.social.id and sent.consent_at is not None
    assert before + timedelta(seconds=7190) <= sent.due_at <= utcnow() + timedelta(seconds=7200)
    with pytest.raises(service.CaseNotFound):  # not on the case before accepting
        view_of(world.officer, world.case_id)
    assert [r.id for r in in_session(referrals.incoming, world.police)] == [sent.id]
    assert in_session(referrals.pending_count, world.police) == 1

    accepted = in_session(referrals.accept, sent.id, world.officer)
    assert accepted.state == "accepted" and accepted.decided_by == world.officer.id
    rows = in_session(referrals.access_rows, world.case_id)
    assert [(a.agency_id, a.shares, a.assignee_id) for a in rows] == [
        (world.police, ["summary", "conversation", "screening"], world.officer.id)]
    view = view_of(world.officer, world.case_id)
    assert not view.owner and view.shares == {"summary", "conversation", "screening"}
    assert not view.sees("location") and not view.sees("notes")
    assert referrals.receiver_summary(accepted) == SUMMARY
    assert in_session(referrals.pending_count, world.police) == 0
    actions = [(e.username, e.action) for e in in_session(audit.entries, world.case_id)]
    assert ("social", "referral") in actions and ("officer", "referral_accepted") in actions
    with pytest.raises(ReferralError, match="accepted already"):
        in_session(referrals.accept, sent.id, world.officer2)
    with pytest.raises(service.CaseNotFound):  # the unrelated agency still sees nothing
        view_of(world.ngo_worker, world.case_id)


@pytest.mark.parametrize("consent", ["refused", "not_asked"])
def test_without_consent_the_receiver_gets_only_the_anonymous_notice(world: World,
                                                                    consent: str) -> None:
    fields: dict[str, object] = {"consent": consent, "shares": ["conversation", "location",
                                                                "screening", "notes"]}
    if consent == "not_asked":
        fields.update(consent_method=None, consent_language=None)
    sent = refer(world, **fields)
    assert sent.shares == [] and sent.summary_for_receiver is None  # not even stored
    assert sent.consent == consent and sent.consent_by == world.social.id
    assert (sent.consent_method, sent.consent_language) == (
        ("chat", "my") if consent == "refused" else (None, None))
    assert referrals.receiver_summary(sent) is None
    with session_scope() as session:
        notice = referrals.notice(sent, service.get_case(session, world.case_id))
    assert set(notice) == {"case_id", "reason", "priority", "source", "from_agency_id", "at",
                           "due_at"}
    assert "Tak" not in json.dumps(notice, default=str) and "my" not in notice.values()
    in_session(referrals.accept, sent.id, world.officer)
    (row,) = in_session(referrals.access_rows, world.case_id)
    assert row.shares == []
    assert view_of(world.officer, world.case_id).shares == frozenset()


def test_emergency_override_shares_and_is_audited(world: World) -> None:
    with pytest.raises(ReferralError, match="stated reason"):
        refer(world, consent="override", override_reason="  ")
    assert in_session(referrals.for_case, world.case_id) == []  # nothing written
    sent = refer(world, consent="override", override_reason="child in danger tonight",
                 consent_method=None, consent_language=None, shares=["location"])
    assert sent.shares == ["summary", "location"]
    assert sent.override_reason == "child in danger tonight"
    overrides = [e for e in in_session(audit.entries, world.case_id)
                 if e.action == "consent_override"]
    assert len(overrides) == 1 and overrides[0].username == "social"
    assert "danger" not in (overrides[0].detail or "")  # the reason stays on the referral


@pytest.mark.parametrize(("fields", "message"), [
    ({"to_agency_id": None}, "choose an agency or a service"),
    ({"reason": "Because"}, "reason must be one of"),
    ({"shares": ["conversation", "bank account"]}, "cannot share bank account"),
    ({"consent": "maybe"}, "consent must be one of"),
    ({"consent_method": None}, "how the person was asked"),
    ({"consent_language": "xx"}, "which language"),
    ({"summary_for_receiver": "x" * 5001}, "longer than 5000"),
])
def test_bad_handovers_are_refused_with_a_clear_message(world: World, fields: dict[str, object],
                                                         message: str) -> None:
    with pytest.raises(ReferralError, match=message):
        refer(world, **fields)
    assert in_session(referrals.for_case, world.case_id) == []


def test_who_can_refer_where(world: World) -> None:
    with pytest.raises(ReferralError, match="your agency's"):
        refer(world, to_agency_id=world.msdhs)
    closed = in_session(agencies.by_code, "closed-ngo").id
    with pytest.raises(ReferralError, match="inactive"):
        refer(world, to_agency_id=closed)
    with pytest.raises(ReferralError, match="does not exist"):
        refer(world, to_agency_id=99999)
    with session_scope() as session:
        example = agencies.add(session, agencies.AgencyIn(
            code="example-ngo", name_th="x", name_en="x", kind="ngo", example=True)).id
    with pytest.raises(ReferralError, match="bundled example"):
        in_session(referrals.refer, world.case_id, handover(world, to_agency_id=example),
                   world.social, 60, production=True)
    with pytest.raises(service.CaseNotFound):  # an agency off the case cannot refer it
        in_session(referrals.refer, world.case_id, handover(world, to_agency_id=world.ngo),
                   world.officer)
    first = refer(world)
    with pytest.raises(ReferralError, match="pending referral of this case already"):
        refer(world)
    in_session(referrals.accept, first.id, world.officer)
    # the police pass it on, but only what was shared with them
    with pytest.raises(ReferralError, match="not shared with you: location"):
        in_session(referrals.refer, world.case_id, handover(
            world, to_agency_id=world.ngo, shares=["conversation", "location"]), world.officer)
    with pytest.raises(ReferralError, match="owns the case"):
        in_session(referrals.refer, world.case_id, handover(world, to_agency_id=world.msdhs),
                   world.officer)
    onward = in_session(referrals.refer, world.case_id, handover(
        world, to_agency_id=world.ngo, shares=["screening"], summary_for_receiver=""),
        world.officer)
    assert onward.from_agency_id == world.police and onward.shares == ["screening"]


def test_accept_and_decline_only_by_the_receiving_agency(world: World) -> None:
    sent = refer(world)
    for outsider in (world.ngo_worker, world.social):
        with pytest.raises(ReferralNotFound):
            in_session(referrals.accept, sent.id, outsider)
        with pytest.raises(ReferralNotFound):
            in_session(referrals.decline, sent.id, outsider, "not ours")
    with pytest.raises(ReferralError, match="give a reason"):
        in_session(referrals.decline, sent.id, world.officer, "  ")
    declined = in_session(referrals.decline, sent.id, world.officer,
                          "no unit free this week; try the DSI")
    assert declined.state == "declined" and declined.decided_at is not None
    assert in_session(referrals.access_rows, world.case_id) == []  # nothing granted
    (seen,) = in_session(referrals.for_case, world.case_id)  # what the sender sees
    assert (seen.state, seen.decline_reason) == ("declined", "no unit free this week; try the DSI")
    with pytest.raises(ReferralError, match="declined already"):
        in_session(referrals.accept, sent.id, world.officer)
    with pytest.raises(ReferralNotFound):
        in_session(referrals.accept, 99999, world.officer)


def test_withdraw_by_the_sender_while_pending(world: World) -> None:
    sent = refer(world)
    with pytest.raises(ReferralNotFound):
        in_session(referrals.withdraw, sent.id, world.officer)
    gone = in_session(referrals.withdraw, sent.id, world.social)
    assert gone.state == "withdrawn"
    with pytest.raises(ReferralError, match="is withdrawn already"):
        in_session(referrals.accept, sent.id, world.officer)
    with pytest.raises(ReferralError, match="only a pending referral"):
        in_session(referrals.withdraw, sent.id, world.social)
    again = refer(world)  # a new referral to the same agency is possible now
    assert again.state == "pending"


def test_a_second_referral_widens_an_existing_access(world: World) -> None:
    first = refer(world, consent="refused")
    in_session(referrals.accept, first.id, world.officer)
    assert view_of(world.officer, world.case_id).shares == frozenset()
    second = refer(world, shares=["location"], summary_for_receiver="")  # consent given later
    in_session(referrals.accept, second.id, world.officer2)
    (row,) = in_session(referrals.access_rows, world.case_id)
    assert row.shares == ["location"] and row.assignee_id == world.officer.id


def test_service_records_and_combined_referrals(world: World) -> None:
    record = in_session(referrals.record_service_referral, world.case_id, "Shelter",
                        "AdditionalServicesRequired", world.social.id, 7, "MSDHS", "2 nights")
    assert (record.state, record.from_agency_id, record.to_agency_id) == (
        "recorded", world.msdhs, None)
    service_only = refer(world, to_agency_id=None, service_id=12, service_name="Legal aid",
                         organisation="Lawyers Council")
    assert service_only.state == "recorded" and service_only.due_at is None
    both = refer(world, service_id=12, service_name="Legal aid")
    assert (both.state, both.service_name, both.organisation) == (
        "pending", "Legal aid", "en tak-police")
    assert [e.kind for e in in_session(service.events, world.case_id)].count("referral") == 3
    assert [r.id for r in in_session(referrals.due_for_reminder,
                                     utcnow() + timedelta(days=2))] == [both.id]


def test_reminder_is_due_once(world: World) -> None:
    sent = refer(world, sla_s=60)
    assert in_session(referrals.due_for_reminder, utcnow()) == []
    later = utcnow() + timedelta(seconds=61)
    assert [r.id for r in in_session(referrals.due_for_reminder, later)] == [sent.id]
    assert in_session(referrals.mark_reminded, sent.id) is True
    assert in_session(referrals.mark_reminded, sent.id) is False
    assert in_session(referrals.due_for_reminder, later) == []


def test_closed_cases_cannot_be_referred_and_anonymising_drops_free_text(world: World) -> None:
    declined = refer(world, consent="override", override_reason="danger")
    in_session(referrals.decline, declined.id, world.officer, "no unit")
    in_session(referrals.record_service_referral, world.case_id, "Shelter",
               "AdditionalServicesRequired", world.social.id, details="for Ma Aye")
    in_session(service.close, world.case_id, "Closed", "done", world.social.id)
    with pytest.raises(ReferralError, match="closed"):
        refer(world)
    with session_scope() as session:
        service.anonymise_cases(session, [world.case_id], "anonymised")
    for row in in_session(referrals.for_case, world.case_id):
        assert (row.details, row.summary_for_receiver, row.override_reason,
                row.decline_reason) == (None, None, None, None)
        assert row.reason == "AdditionalServicesRequired"


# -- in the running gateway ------------------------------------------------------------------
RECIPIENTS = [{"channel": "officer", "user_id": "Usocial", "agency": "tak-msdhs"},
              {"channel": "officer", "user_id": "Upolice", "agency": "tak-police"},
              {"channel": "officer", "user_id": "Uevery"}]


@pytest.fixture
def agency_gateway(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with session_scope() as session:
        make_agencies(session)
    with running_gateway(monkeypatch, CASEWORKER_LINE_RECIPIENTS=json.dumps(RECIPIENTS),
                         URGENT_RENOTIFY_AFTER_S="3600") as gw:
        yield gw


def texts_to(gateway: Gateway, user_id: str) -> list[str]:
    return [m["text"] for call in gateway.line.pushes() if call.body.get("to") == user_id
            for m in call.body["messages"]]


def test_routing_and_agency_notifications(agency_gateway: Gateway) -> None:
    gateway = agency_gateway
    created = gateway.create_case(conversation_id="conv-tak", province="Tak",
                                  summary=SUMMARY)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    msdhs = in_session(agencies.by_code, "tak-msdhs")
    police = in_session(agencies.by_code, "tak-police")
    assert in_session(service.get_case, case_id).agency_id == msdhs.id  # routed by province
    wait_for(lambda: texts_to(gateway, "Usocial") and texts_to(gateway, "Uevery"))
    assert texts_to(gateway, "Upolice") == []  # another agency's case

    social = in_session(add_caseworker, "social", PASSWORD, agency_id=msdhs.id)
    sent = in_session(referrals.refer, case_id, HandoverIn(
        reason="AdditionalServicesRequired", to_agency_id=police.id,
        summary_for_receiver=SUMMARY, shares=["conversation"], consent="given",
        consent_method="chat", consent_language="en"), social, 0.5)
    gateway.run(gateway.runtime.referred(sent.id))
    told = wait_for(lambda: texts_to(gateway, "Upolice"))
    assert f"#{sent.id}" in told[0] and f"{gateway.url}/dashboard/referrals" in told[0]
    for secret in ("Ma Aye", "Mae Sot", "081", "Tak", "locked"):
        assert secret not in told[0]
    # the reminder loop (every 0.2 s) reminds once, past the 0.5 s due time
    reminded = wait_for(lambda: len(texts_to(gateway, "Upolice")) >= 2 and texts_to(
        gateway, "Upolice"), timeout=10)
    assert "still waiting" in reminded[1]
    assert in_session(referrals.get, sent.id).reminded_at is not None
    assert gateway.run(gateway.runtime.remind_referrals()) == []  # once per referral
    assert len(texts_to(gateway, "Upolice")) == 2
    assert len(texts_to(gateway, "Usocial")) == 1 and len(texts_to(gateway, "Uevery")) == 1

