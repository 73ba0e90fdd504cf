"""cases.mdt on real SQLite and PostgreSQL: an MDT case conference is validated field by field,
stored with attendees, indicators and next steps, and its decision moves the case's NRM stage
only where the pathway lets the recording agency make that move."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cases import mdt, stages
from cases.models import MdtConference
from nrm.pathway import TransitionRefused
from saphan.db import in_session, session_scope, utcnow
from testsupport.nrm_world import World, hand_over, make_world, new_case


@pytest.fixture
def world(app_env: str) -> World:
    return make_world()


def conference(world: World, decision: str = "identified", **kw: object) -> mdt.MdtIn:
    values: dict = {
        "held_on": date(2026, 12, 5), "decision": decision,
        "basis": "interview with an interpreter; passport kept by the employer",
        "attendees": [mdt.Attendee(world.agencies["tak-msdhs"], "social worker"),
                      mdt.Attendee(world.agencies["tak-police-atp"], "investigator"),
                      mdt.Attendee(world.agencies["tak-ngo"], "interpreter")],
        "indicators": ["cr_documents", "dr_wages"],
        "next_steps": [mdt.NextStep("shelter placement", world.agencies["tak-shelter"],
                                    date(2026, 12, 8))]}
    values.update(kw)
    return mdt.MdtIn(**values)


def record(world: World, case_id: int, item: mdt.MdtIn, who: str = "somchai") -> int:
    with session_scope() as session:
        return mdt.record(session, case_id, item, world.worker(session, who)).id


def at_temporary_protection(world: World) -> int:
    case_id = new_case(world)
    with session_scope() as session:
        agency, actor = world.agency(session, "somchai"), world.workers["somchai"]
        stages.move(session, case_id, "fact_check", agency, actor,
                    {"fact_check_date": "2026-12-01", "rescue": "yes"})
        stages.move(session, case_id, "temporary_protection", agency, actor,
                    {"shelter": "Tak shelter", "start_date": "2026-12-01"})
    return case_id


def test_an_identified_decision_is_stored_and_moves_the_stage(world: World) -> None:
    case_id = at_temporary_protection(world)
    conf_id = record(world, case_id, conference(world))
    row = in_session(lambda s: s.get(MdtConference, conf_id))
    assert row.decision == "identified" and row.held_on == date(2026, 12, 5)
    assert row.attendees[1] == {"agency_id": world.agencies["tak-police-atp"],
                                "role": "investigator"}
    assert row.indicators == ["cr_documents", "dr_wages"]
    assert row.next_steps == [{"action": "shelter placement",
                               "agency_id": world.agencies["tak-shelter"], "due": "2026-12-08"}]
    assert row.recorded_by == world.workers["somchai"]
    moves = [(i.from_stage, i.title, i.details) for i in in_session(stages.timeline, case_id)
             if i.kind == "stage"][-2:]
    assert moves == [
        ("temporary_protection", "mdt_interview", {"interview_date": "2026-12-05"}),
        ("mdt_interview", "identified", {"decided_on": "2026-12-05",
                                         "mdt_conference_id": conf_id})]


def test_a_deferred_decision_stays_at_the_interview(world: World) -> None:
    case_id = at_temporary_protection(world)
    record(world, case_id, conference(world, "deferred"))
    assert in_session(stages.current, case_id) == "mdt_interview"
    record(world, case_id, conference(world, "not_identified"))
    assert in_session(stages.current, case_id) == "not_identified"


def test_the_pathway_decides_who_may_record_the_decision(world: World) -> None:
    case_id = at_temporary_protection(world)
    hand_over(world, case_id, "somchai", "ngo", ["summary"])
    with pytest.raises(TransitionRefused, match="ngo may not move a case from "
                                                "temporary_protection to mdt_interview"):
        record(world, case_id, conference(world), who="ngo")
    assert in_session(mdt.for_case, case_id) == []  # nothing stored (rolled back)
    fresh = new_case(world, "c2")  # still at report_received: no MDT yet
    with pytest.raises(TransitionRefused, match="no move from report_received to "
                                                "mdt_interview"):
        record(world, fresh, conference(world))


def test_a_bad_record_names_every_field(world: World) -> None:
    case_id = at_temporary_protection(world)
    bad = conference(world, "victim", held_on=utcnow().date() + timedelta(days=2), basis=" ",
                     attendees=[mdt.Attendee(999, "")], indicators=["not_an_indicator"],
                     next_steps=[mdt.NextStep("", 998, date(2026, 12, 9))])
    with pytest.raises(mdt.MdtError) as failed:
        record(world, case_id, bad)
    message = str(failed.value)
    for expected in ("held_on: ", "is in the future", "decision: 'victim' is not one of "
                     "identified, not_identified, deferred", "basis: say what",
                     "attendees: an MDT conference has at least two members",
                     "attendees[0].agency_id: no agency 999", "attendees[0].role",
                     "indicators: unknown indicator id(s) not_an_indicator",
                     "next_steps[0].action", "next_steps[0].agency_id: no agency 998"):
        assert expected in message
    assert in_session(mdt.for_case, case_id) == []
    with pytest.raises(stages.StageError, match="case 4242 does not exist"):
        record(world, 4242, conference(world))
    record(world, case_id, conference(world, "deferred"))  # enters the interview stage
    with pytest.raises(stages.StageError, match="agency tak-police-atp is not on case"):
        record(world, case_id, conference(world, "deferred"), who="police")
