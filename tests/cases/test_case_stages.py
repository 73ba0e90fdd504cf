"""cases.stages on real SQLite and PostgreSQL: new cases start the pathway, moves are checked
against the pathway (agency kind, record) and audited by the caller, the 15-day temporary
protection sets a due date and shows as overdue, the timeline merges stages, referrals and MDT
conferences in time order and hides record fields another agency was not given."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from cases import mdt, service, stages
from cases.models import Case, CaseStage
from nrm.pathway import RecordInvalid, TransitionRefused
from saphan.db import in_session, session_scope, utcnow
from testsupport.nrm_world import World, hand_over, make_world, new_case


@pytest.fixture
def world(app_env: str) -> World:
    return make_world()


def move(world: World, case_id: int, to: str, who: str, record: dict | None = None,
         ) -> CaseStage:
    with session_scope() as session:
        return stages.move(session, case_id, to, world.agency(session, who),
                           world.workers[who], record or {})


def to_temporary_protection(world: World, case_id: int, start: str) -> CaseStage:
    move(world, case_id, "fact_check", "somchai", {"fact_check_date": start, "rescue": "yes"})
    return move(world, case_id, "temporary_protection", "somchai",
                {"shelter": "Tak shelter for children and families", "start_date": start})


def test_a_new_case_starts_at_report_received_and_old_cases_read_so(world: World) -> None:
    case_id = new_case(world)
    rows = in_session(lambda s: [(r.stage, r.from_stage, r.agency_id)
                                 for r in s.query(CaseStage).filter_by(case_id=case_id)])
    assert rows == [("report_received", None, world.agencies["tak-msdhs"])]
    again = in_session(service.create_case, service.NewCase(
        conversation_id="c1", priority="urgent", source="emergency"))
    assert not again.created and in_session(stages.current, case_id) == "report_received"
    assert len(in_session(lambda s: s.query(CaseStage).filter_by(case_id=case_id).all())) == 1
    with session_scope() as session:  # a case from before the pathway: no stage rows
        old = Case(agency_id=world.agencies["tak-msdhs"], conversation_id="old", status="Active",
                   priority="normal", source="request", language="th", summary="",
                   created_at=utcnow(), updated_at=utcnow())
        session.add(old)
        session.flush()
        old_id = old.id
    assert in_session(stages.current, old_id) == "report_received"
    assert in_session(stages.timeline, old_id) == []


def test_move_checks_the_agency_kind_and_the_record(world: World) -> None:
    case_id = new_case(world)
    with pytest.raises(TransitionRefused) as refused:
        move(world, case_id, "temporary_protection", "somchai", {})
    assert "no move from report_received to temporary_protection" in str(refused.value)
    move(world, case_id, "fact_check", "somchai", {"fact_check_date": "2026-12-01",
                                                    "rescue": "no"})
    hand_over(world, case_id, "somchai", "ngo", ["summary"])
    with pytest.raises(TransitionRefused, match="ngo may not move a case from fact_check to "
                                                "temporary_protection; allowed: "
                                                "msdhs_provincial, shelter, police"):
        move(world, case_id, "temporary_protection", "ngo", {"shelter": "x",
                                                              "start_date": "2026-12-01"})
    with pytest.raises(RecordInvalid, match="shelter: required; start_date: required"):
        move(world, case_id, "temporary_protection", "somchai", {})
    with pytest.raises(RecordInvalid, match="unknown field 'notes'"):
        move(world, case_id, "temporary_protection", "somchai",
             {"shelter": "x", "start_date": "2026-12-01", "notes": "free text"})
    assert in_session(stages.current, case_id) == "fact_check"  # nothing was written


def test_an_agency_not_on_the_case_cannot_move_it(world: World) -> None:
    case_id = new_case(world)
    with pytest.raises(stages.StageError, match="agency tak-police-atp is not on case"):
        move(world, case_id, "fact_check", "police", {"fact_check_date": "2026-12-01",
                                                      "rescue": "yes"})
    hand_over(world, case_id, "somchai", "police", ["summary"])
    row = move(world, case_id, "fact_check", "police", {"fact_check_date": "2026-12-01",
                                                        "rescue": "yes"})
    assert (row.from_stage, row.stage, row.agency_id) == (
        "report_received", "fact_check", world.agencies["tak-police-atp"])


def test_temporary_protection_is_due_within_15_days_of_its_start(world: World) -> None:
    case_id = new_case(world)
    other = new_case(world, "c2")
    start = (utcnow() - timedelta(days=20)).date()
    row = to_temporary_protection(world, case_id, start.isoformat())
    assert row.due_at == datetime.combine(start + timedelta(days=15), datetime.min.time(),
                                          row.due_at.tzinfo)
    to_temporary_protection(world, other, utcnow().date().isoformat())
    late = in_session(stages.overdue, utcnow())
    assert [r.case_id for r in late] == [case_id]  # the other one is within its 15 days
    assert [r.case_id for r in in_session(stages.overdue, utcnow() + timedelta(days=16))] == [
        case_id, other]
    move(world, case_id, "mdt_interview", "somchai", {"interview_date": utcnow().date()})
    assert in_session(stages.overdue, utcnow()) == []  # the MDT interview met the limit


def test_an_mdt_decision_is_not_a_plain_move(world: World) -> None:
    case_id = new_case(world)
    to_temporary_protection(world, case_id, "2026-12-01")
    move(world, case_id, "mdt_interview", "somchai", {"interview_date": "2026-12-05"})
    with pytest.raises(TransitionRefused, match="MDT's decision: record the MDT case conf"):
        move(world, case_id, "identified", "somchai", {"decided_on": "2026-12-05"})


def test_prosecution_support_is_a_track_alongside(world: World) -> None:
    case_id = new_case(world)
    hand_over(world, case_id, "somchai", "prosecutor", ["summary"])
    hand_over(world, case_id, "somchai", "shelter", ["summary", "location"])
    to_temporary_protection(world, case_id, "2026-12-01")
    with session_scope() as session:
        mdt.record(session, case_id, mdt.MdtIn(
            held_on=date(2026, 12, 5), decision="identified", basis="interview",
            attendees=[mdt.Attendee(world.agencies["tak-msdhs"], "social worker"),
                       mdt.Attendee(world.agencies["tak-police-atp"], "investigator")]),
            world.worker(session, "somchai"))
    move(world, case_id, "prosecution_support", "prosecutor", {"start_date": "2026-12-06"})
    move(world, case_id, "protection_assistance", "shelter",
         {"services": ["shelter", "legal_aid"], "start_date": "2026-12-06"})
    assert in_session(stages.current_by_track, case_id) == {
        "main": "protection_assistance", "prosecution": "prosecution_support"}
    dates = in_session(stages.stage_dates, [case_id])[case_id]
    assert dates["temporary_protection"] == date(2026, 12, 1)  # the recorded start date
    assert dates["identified"] == date(2026, 12, 5) and dates["prosecution_support"] == date(
        2026, 12, 6)
    assert dates["report_received"] == utcnow().date()


def test_timeline_merges_stages_referrals_and_conferences_in_time_order(world: World) -> None:
    case_id = new_case(world)
    move(world, case_id, "screening", "somchai", {"screening_form": "Ror.Bor.1"})
    hand_over(world, case_id, "somchai", "police", ["summary"])
    move(world, case_id, "fact_check", "police", {"fact_check_date": "2026-12-01",
                                                  "rescue": "yes"})
    move(world, case_id, "temporary_protection", "somchai",
         {"shelter": "Tak shelter", "start_date": "2026-12-01"})
    with session_scope() as session:
        mdt.record(session, case_id, mdt.MdtIn(
            held_on=date(2026, 12, 5), decision="not_identified", basis="no indicators found",
            attendees=[mdt.Attendee(world.agencies["tak-msdhs"], "social worker"),
                       mdt.Attendee(world.agencies["tak-ngo"], "interpreter")],
            next_steps=[mdt.NextStep("help to go home", world.agencies["tak-msdhs"],
                                     date(2026, 12, 20))]),
            world.worker(session, "somchai"))
    full = in_session(stages.timeline, case_id)
    assert [(i.kind, i.title) for i in full] == [
        ("stage", "report_received"), ("stage", "screening"), ("referral", "accepted"),
        ("stage", "fact_check"), ("stage", "temporary_protection"),
        ("mdt", "not_identified"), ("stage", "mdt_interview"), ("stage", "not_identified")]
    assert [i.at for i in full] == sorted(i.at for i in full)
    assert full[4].details["shelter"] == "Tak shelter" and full[4].due_at is not None
    assert full[5].details["basis"] == "no indicators found"
    assert full[7].details["mdt_conference_id"] == in_session(mdt.for_case, case_id)[0].id
    # The police were given only the summary: no shelter (location), no MDT basis.
    police = in_session(stages.timeline, case_id, world.agencies["tak-police-atp"],
                        frozenset({"summary"}))
    assert "shelter" not in police[4].details and police[4].details["start_date"] == "2026-12-01"
    assert "basis" not in police[5].details and "next_steps" not in police[5].details
    ngo = in_session(stages.timeline, case_id, world.agencies["tak-ngo"], frozenset())
    assert ngo[5].details["basis"] == "no indicators found"  # it attended the conference


def test_anonymising_drops_the_free_text_of_stages_and_conferences(world: World) -> None:
    case_id = new_case(world)
    to_temporary_protection(world, case_id, "2026-12-01")
    with session_scope() as session:
        mdt.record(session, case_id, mdt.MdtIn(
            held_on=date(2026, 12, 5), decision="deferred", basis="needs an interpreter",
            attendees=[mdt.Attendee(world.agencies["tak-msdhs"], "Khun A, social worker"),
                       mdt.Attendee(world.agencies["tak-ngo"], "interpreter")]),
            world.worker(session, "somchai"))
    with session_scope() as session:
        service.anonymise_cases(session, [case_id], "anonymised")
    items = in_session(stages.timeline, case_id)
    protection = next(i for i in items if i.title == "temporary_protection")
    assert protection.details == {"start_date": "2026-12-01"}
    conference = next(i for i in items if i.kind == "mdt")
    assert conference.details["basis"] == "" and all(
        a["role"] == "" for a in conference.details["attendees"])
    with pytest.raises(stages.StageError, match="is anonymised"):
        move(world, case_id, "mdt_interview", "somchai", {"interview_date": "2026-12-05"})
