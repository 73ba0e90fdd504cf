"""Practice runs kept for the trainer (`screening.practice_runs`, SQLite and PostgreSQL): a
finished run is stored with its feedback and never as a screening record, a cohort code is
checked and remembered, a cohort's runs are seen only by the officers' agency and summed up
per case and per indicator; through the whole system (signed webhooks, real Rasa and action
server) a practice run in a cohort is kept with what the officer missed; migration 0012
upgrades from 0011 with rows and goes back down."""

from __future__ import annotations

from datetime import timedelta

import pytest
import test_screening_gateway
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from test_screening_gateway import Chat, bot, enrol, screen_with_cards

from cli.models import load_all
from saphan.db import in_session, make_engine, session_scope, session_scope_for
from saphan.migrate import alembic_config, upgrade
from screening import enrollment
from screening.adaptive import AdaptivePlanner
from screening.cards import run_cards
from screening.commands import default_commands
from screening.loader import ScreeningData
from screening.models import Officer, PracticeRun, ScreeningRow
from screening.practice import Feedback, default_practice, feedback
from screening.practice_runs import (
    CohortError,
    by_case,
    by_indicator,
    cohort_code,
    cohorts,
    last_cohort,
    record_run,
    runs,
)

#: The screening gateway tests' stack (real Rasa and action server, fake LINE), one per module.
stack_chat = test_screening_gateway.chat


def _officer(agency: str, user: str) -> int:
    code, _ = in_session(enrollment.issue_code, agency, "investigator", timedelta(days=1))
    return in_session(enrollment.redeem_code, user, code).id


def _run(case_id: str, result: str, expected: str, missed: tuple[str, ...] = (),
         wrong: tuple[str, ...] = (), interactions: int = 10,
         seconds: int | None = 300) -> Feedback:
    return Feedback(case_id=case_id, result=result, expected=expected, missed=missed,
                    wrong=wrong, not_asked=(), context_errors=(), interactions=interactions,
                    seconds=seconds, expected_steps=())


@pytest.mark.parametrize(("typed", "code"), [("tot-2026", "TOT-2026"), (" ab ", "AB"),
                                             ("Course_7", "COURSE_7")])
def test_a_cohort_code_is_short_and_kept_upper_case(typed: str, code: str) -> None:
    assert cohort_code(typed) == code


@pytest.mark.parametrize("typed", ["", "x", "-abc", "a b", "ก่อน", "a" * 21, "tot;drop"])
def test_anything_else_is_not_a_cohort_code(typed: str) -> None:
    with pytest.raises(CohortError):
        cohort_code(typed)


@pytest.mark.parametrize(("typed", "code"), [("cohort TOT-26", "TOT-26"),
                                             ("Cohort  tot-26 ", "tot-26"),
                                             ("รุ่น TOT-26", "TOT-26"), ("รุ่นTOT-26", "TOT-26"),
                                             ("รุ่นฝึก A1", "A1"), ("cohort", ""),
                                             ("cohorts", None), ("yes", None),
                                             ("Myanmar", None)])
def test_the_officer_types_cohort_and_the_code(typed: str, code: str | None) -> None:
    assert default_commands().cohort_code(typed) == code


def test_a_finished_run_is_stored_and_never_a_screening_record(
        app_env: str, data: ScreeningData, planner: AdaptivePlanner) -> None:
    officer = _officer("Police Chonburi", "conv-practice-1")
    case = default_practice().case("fishing_boat")
    run = run_cards(planner, case.context, lambda item: "no")  # ticked nothing
    result = feedback(data, case, case.context, run.answers, 4 + run.interactions, 125)
    assert result.missed  # the hasty officer missed what the person said

    row = in_session(record_run, officer, "Police Chonburi", "tot-26", result)
    with session_scope() as session:
        stored = session.get(PracticeRun, row.id)
        assert stored is not None
        assert (stored.officer_id, stored.agency, stored.cohort, stored.case_key) == (
            officer, "Police Chonburi", "TOT-26", "fishing_boat")
        assert (stored.expected_category, stored.recorded_category) == (
            case.expected, result.result)
        assert stored.right_result is result.right_result is False
        assert stored.missed == list(result.missed) and stored.wrong == []
        assert stored.not_asked == list(result.not_asked)
        assert (stored.interactions, stored.seconds) == (4 + run.interactions, 125)
        assert stored.finished_at.tzinfo is not None
        assert session.scalar(select(func.count()).select_from(ScreeningRow)) == 0


def test_the_officer_keeps_the_cohort_of_the_last_run(app_env: str) -> None:
    officer = _officer("Police Chonburi", "conv-practice-2")
    assert in_session(last_cohort, officer) is None
    in_session(record_run, officer, "Police Chonburi", "A1", _run("fishing_boat", "x", "x"))
    in_session(record_run, officer, "Police Chonburi", "B2", _run("fishing_boat", "x", "x"))
    in_session(record_run, officer, "Police Chonburi", None, _run("fishing_boat", "x", "x"))
    assert in_session(last_cohort, officer) == "B2"  # a run without a cohort does not reset it


def test_an_agency_sees_its_officers_runs_by_cohort(app_env: str) -> None:
    chonburi = _officer("Police Chonburi", "conv-practice-3")
    tak = _officer("tak-msdhs", "conv-practice-4")
    for officer, agency, cohort in ((chonburi, "Police Chonburi", "TOT-1"),
                                    (chonburi, "Police Chonburi", "TOT-1"),
                                    (chonburi, "Police Chonburi", None),
                                    (tak, "tak-msdhs", "TOT-1"), (tak, "tak-msdhs", "TOT-2")):
        in_session(record_run, officer, agency, cohort, _run("fishing_boat", "a", "a"))
    with session_scope() as session:
        assert cohorts(session, {"police chonburi"}) == [("TOT-1", 2), (None, 1)]
        assert cohorts(session, {"TAK-MSDHS", "Tak social welfare"}) == [("TOT-2", 1),
                                                                         ("TOT-1", 1)]
        assert cohorts(session, set()) == []
        assert sorted(c or "" for c, _ in cohorts(session, None)) == ["", "TOT-1", "TOT-2"]
        assert {r.agency for r in runs(session, "TOT-1", {"Police Chonburi"})} == {
            "Police Chonburi"}
        assert len(runs(session, "TOT-1", None)) == 3
        assert len(runs(session, None, {"Police Chonburi"})) == 1


def test_a_cohort_is_summed_up_per_case_and_per_indicator(app_env: str) -> None:
    officer = _officer("Police Chonburi", "conv-practice-5")
    found = [
        _run("fishing_boat", "likely_victim", "likely_victim", interactions=10, seconds=240),
        _run("fishing_boat", "indicators_present", "likely_victim", missed=("cd_debt",),
             interactions=14, seconds=None),
        _run("fishing_boat", "indicators_present", "likely_victim",
             missed=("cd_debt", "ex_hours"), wrong=("ex_education",), interactions=8,
             seconds=600),
        _run("karaoke_bar", "no_indicators", "likely_victim", wrong=("ex_education",),
             interactions=20, seconds=60),
    ]
    for result in found:
        in_session(record_run, officer, "Police Chonburi", "C1", result)
    with session_scope() as session:
        stored = runs(session, "C1", None)
    cases = {c.case_key: c for c in by_case(stored)}
    boat = cases["fishing_boat"]
    assert (boat.runs, boat.right, boat.right_percent) == (3, 1, 33)
    assert boat.median_interactions == 10 and boat.median_minutes == 7.0  # 240 s, 600 s
    assert (cases["karaoke_bar"].right_percent, cases["karaoke_bar"].median_minutes) == (0, 1.0)

    indicators = by_indicator(stored, default_practice())
    assert [i.item_id for i in indicators] == ["cd_debt", "ex_hours", "ex_education"]
    debt = indicators[0]
    with_debt = sum(default_practice().case(r.case_id).truth.get("cd_debt") == "yes"
                    for r in found)  # the runs whose case has it: 3 boats and the bar
    assert with_debt == 4 and (debt.missed, debt.present, debt.wrong) == (2, 4, 0)
    assert debt.missed_percent == 50
    assert (indicators[2].wrong, indicators[2].missed) == (2, 0)


def test_migration_0012_upgrades_from_0011_with_rows_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0011_case_labels")
    assert "practice_runs" not in inspect(engine).get_table_names()
    with engine.begin() as conn:  # an enrolled officer and a screening exist before 0012
        conn.execute(text(
            "INSERT INTO officers (line_user, agency, role, enrolled_at) VALUES "
            "('conv-m', 'Police Chonburi', 'investigator', '2026-12-01 00:00:00+00:00')"))
        officer = conn.execute(text("SELECT id FROM officers")).scalar_one()
    engine.dispose()

    upgrade(database_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO practice_runs (officer_id, agency, cohort, case_key, finished_at, "
            "expected_category, recorded_category, right_result, missed, wrong, not_asked, "
            "interactions, seconds) VALUES (:o, 'Police Chonburi', 'TOT-1', 'fishing_boat', "
            "'2026-12-02 00:00:00+00:00', 'likely_victim', 'likely_victim', true, '[]', "
            "'[\"cd_debt\"]', '[]', 12, 300)"), {"o": officer})
    with session_scope_for(database_url) as session:
        (run,) = session.scalars(select(PracticeRun))
        assert run.wrong == ["cd_debt"] and run.officer_id == officer
        assert session.get(Officer, officer) is not None
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_all().metadata)
    assert [d for d in diff if "practice_runs" in repr(d)] == []
    indexes = {i["name"] for i in inspect(engine).get_indexes("practice_runs")}
    assert {"ix_practice_runs_officer_id", "ix_practice_runs_cohort",
            "ix_practice_runs_finished_at"} <= indexes
    engine.dispose()

    command.downgrade(config, "0011_case_labels")
    assert "practice_runs" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM officers")).scalar_one() == 1
    engine.dispose()
    upgrade(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM practice_runs")).scalar_one() == 0
    engine.dispose()



@pytest.mark.integration
def test_a_practice_run_through_the_gateway_is_kept_for_the_cohort(stack_chat: Chat) -> None:
    chat = stack_chat
    user, lang = "Uofficer-cohort", "en"
    case = default_practice().case("fishing_boat")
    enrol(chat, user, "start screening", lang, mode="card")
    refused = chat.say(user, "cohort !?")
    assert bot("practice_cohort_invalid", lang) in [m.get("text") for m in refused]
    joined = chat.say(user, "cohort tot-2026")
    line = bot("practice_cohort", lang, cohort="TOT-2026")
    assert line in [m.get("text") for m in joined]
    menu = chat.tap(user, "practice:menu")
    (cases,) = [m for m in menu if m["type"] == "flex"]
    assert line in cases["contents"]["body"]["contents"][0]["text"]
    intro = chat.tap(user, "practice:fishing_boat")
    assert intro[0]["text"].endswith(line)
    truth = {i for i, a in case.truth.items() if a == "yes"}
    messages, _, taps = screen_with_cards(chat, user, intro, lang, truth - {"cd_debt"},
                                          "profile:no:labour", {"sector": "fishing"})
    assert bot("practice_saved_cohort", lang, cohort="TOT-2026") in messages[-1]["text"]

    (officer,) = chat.rows(Officer, line_user=chat.conversation_id(user))
    (run,) = chat.rows(PracticeRun, officer_id=officer.id)
    assert (run.cohort, run.agency, run.case_key) == ("TOT-2026", "Police Chonburi", case.id)
    assert run.expected_category == case.expected and run.interactions == taps
    assert run.right_result is (run.recorded_category == case.expected)
    assert "cd_debt" in run.missed + run.not_asked and not run.wrong
    assert run.seconds is not None and run.seconds >= 0
    assert not chat.rows(ScreeningRow, officer_id=officer.id)  # never a screening record

    again = chat.say(user, "start screening")  # the next practice is in the same cohort
    assert "practice:menu" in [i["action"]["data"] for i in again[-1]["quickReply"]["items"]]
    menu = chat.tap(user, "practice:menu")
    (cases,) = [m for m in menu if m["type"] == "flex"]
    assert line in cases["contents"]["body"]["contents"][0]["text"]
