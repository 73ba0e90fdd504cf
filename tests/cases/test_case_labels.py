"""cases.labels on real SQLite and PostgreSQL (labels an agency keeps for its cases, issue 23),
and migration 0011_case_labels: up from 0010 with a case present, no autogenerate diff,
down and up again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from agencies import store
from cases import access, audit, labels, referrals, service
from cases.accounts import add_caseworker
from cases.labels import LabelError, LabelNotFound
from cases.models import AgencyLabel, CaseLabel, Caseworker
from cases.service import WIDE
from cli.models import load_all
from saphan.db import in_session, make_engine, session_scope
from saphan.migrate import alembic_config, upgrade

PASSWORD = "correct horse battery"
LABEL_TABLES = {"agency_labels", "case_labels"}


@pytest.fixture
def world(app_env: str) -> dict[str, int]:
    """The default agency (admin "ada", caseworkers "cara" and "colin") and an NGO in Nan
    (admin "nadia", caseworker "nick"); one case of the default agency."""
    with session_scope() as session:
        home = store.default_agency(session).id
        ngo = store.add(session, store.AgencyIn(code="ngo-nan", name_th="ngo th",
                                                name_en="ngo en", kind="ngo",
                                                provinces=("Nan",))).id
    ids = {"home": home, "ngo": ngo}
    for username, role, agency in (("ada", "agency_admin", home), ("cara", "caseworker", home),
                                   ("colin", "caseworker", home), ("nadia", "agency_admin", ngo),
                                   ("nick", "caseworker", ngo)):
        ids[username] = in_session(add_caseworker, username, PASSWORD, role, username,
                                   agency).id
    ids["case"] = in_session(service.create_case, service.NewCase(
        "c-label", "normal", "request")).case.id
    return ids


def as_worker(username: str, work: object, *args: object) -> object:
    """Run `work(session, worker, *args)` in one transaction as the account `username`."""
    with session_scope() as session:
        worker = session.query(Caseworker).filter_by(username=username).one()
        return work(session, worker, *args)  # type: ignore[operator]


def actions(case_id: int | None = None) -> list[str]:
    return [e.action for e in in_session(audit.entries, case_id) if e.action.startswith("label")]


def names(agency_id: int, active_only: bool = True) -> list[str]:
    return [row.name for row in in_session(labels.agency_labels, agency_id, active_only)]


def test_an_agency_admin_keeps_the_list_with_clear_refusals(world: dict[str, int]) -> None:
    as_worker("ada", labels.create, "  needs   interpreter ")
    as_worker("ada", labels.create, "ค่าจ้างค้าง")
    assert names(world["home"]) == ["needs interpreter", "ค่าจ้างค้าง"]
    refusals = {"": "name_empty", "   ": "name_empty", "x" * 61: "name_long",
                "Needs Interpreter": "name_taken", "bad\x00name": "name_empty"}
    for name, reason in refusals.items():
        with pytest.raises(LabelError) as refused:
            as_worker("ada", labels.create, name)
        assert refused.value.reason == reason, name
    with pytest.raises(LabelError) as refused:
        as_worker("cara", labels.create, "mine")  # a caseworker does not keep the list
    assert refused.value.reason == "not_permitted"
    as_worker("nadia", labels.create, "needs interpreter")  # unique per agency only
    assert names(world["ngo"]) == ["needs interpreter"]
    assert actions() == ["label_created"] * 3


def test_retired_labels_stay_on_cases_but_cannot_be_chosen(world: dict[str, int]) -> None:
    label = as_worker("ada", labels.create, "debt").id
    case_id = world["case"]
    assert as_worker("cara", labels.add_to_case, case_id, label)
    assert as_worker("ada", labels.retire, label)
    assert not as_worker("ada", labels.retire, label)  # again: no change, no entry
    assert names(world["home"]) == [] and names(world["home"], False) == ["debt"]
    assert [r.id for r in in_session(labels.case_labels, world["home"], case_id)] == [label]
    assert as_worker("cara", labels.remove_from_case, case_id, label)
    with pytest.raises(LabelError) as refused:
        as_worker("cara", labels.add_to_case, case_id, label)
    assert refused.value.reason == "retired"
    with pytest.raises(LabelNotFound):
        as_worker("nadia", labels.retire, label)  # another agency's label: "not found"
    assert actions() == ["label_created", "label_added", "label_retired", "label_removed"]


def test_labels_go_on_and_off_once_with_one_audit_entry_each(world: dict[str, int]) -> None:
    label = as_worker("ada", labels.create, "shelter needed").id
    case_id = world["case"]
    assert as_worker("cara", labels.add_to_case, case_id, label)
    assert not as_worker("colin", labels.add_to_case, case_id, label)  # there already
    assert actions(case_id) == ["label_added"]
    assert as_worker("colin", labels.remove_from_case, case_id, label)
    assert not as_worker("cara", labels.remove_from_case, case_id, label)
    assert actions(case_id) == ["label_added", "label_removed"]
    assert in_session(labels.case_labels, world["home"], case_id) == []


def test_only_the_agencys_own_labels_on_cases_its_agency_may_change(
        world: dict[str, int]) -> None:
    home_label = as_worker("ada", labels.create, "home").id
    ngo_label = as_worker("nadia", labels.create, "ngo").id
    case_id = world["case"]
    with pytest.raises(LabelNotFound):  # another agency's label, on the agency's own case
        as_worker("cara", labels.add_to_case, case_id, ngo_label)
    with pytest.raises(service.CaseNotFound):  # the NGO is not on the case
        as_worker("nick", labels.add_to_case, case_id, ngo_label)
    in_session(service.claim, case_id, world["colin"])
    with pytest.raises(access.Refused):  # a colleague has the case
        as_worker("cara", labels.add_to_case, case_id, home_label)
    assert as_worker("ada", labels.add_to_case, case_id, home_label)  # an admin may
    with pytest.raises(LabelNotFound):
        as_worker("ada", labels.add_to_case, case_id, 999_999)
    assert actions(case_id) == ["label_added"]


def test_each_agency_on_a_shared_case_sees_only_its_own_labels(world: dict[str, int]) -> None:
    case_id = world["case"]
    with session_scope() as session:
        ada = session.query(Caseworker).filter_by(username="ada").one()
        referral = referrals.refer(session, case_id, referrals.HandoverIn(
            reason="AdditionalServicesRequired", to_agency_id=world["ngo"], shares=["summary"],
            consent="given", consent_method="chat", consent_language="en"), ada)
        referrals.accept(session, referral.id,
                         session.query(Caseworker).filter_by(username="nick").one())
    home_label = as_worker("ada", labels.create, "home").id
    ngo_label = as_worker("nadia", labels.create, "ngo").id
    assert as_worker("nick", labels.add_to_case, case_id, ngo_label)
    assert as_worker("cara", labels.add_to_case, case_id, home_label)
    seen = {agency: [r.name for r in in_session(labels.case_labels, world[agency], case_id)]
            for agency in ("home", "ngo")}
    assert seen == {"home": ["home"], "ngo": ["ngo"]}
    queue = in_session(labels.labels_by_case, world["ngo"], [case_id, 424242])
    assert {k: [r.id for r in v] for k, v in queue.items()} == {case_id: [ngo_label],
                                                                424242: []}


def test_erasure_keeps_labels_and_deleting_a_case_or_agency_drops_them(
        world: dict[str, int]) -> None:
    label = as_worker("ada", labels.create, "erasable").id
    case_id = world["case"]
    as_worker("cara", labels.add_to_case, case_id, label)
    assert in_session(service.erase_conversation, "c-label")["cases_anonymised"] == 1
    assert [r.id for r in in_session(labels.case_labels, world["home"], case_id)] == [label]
    with session_scope() as session:  # labels carry no personal data; the rows cascade
        session.execute(text("DELETE FROM cases WHERE id = :id"), {"id": case_id})
    assert in_session(lambda s: s.query(CaseLabel).count()) == 0
    as_worker("nadia", labels.create, "gone with the agency")
    with session_scope() as session:
        session.execute(text("DELETE FROM caseworkers WHERE agency_id = :a"), {"a": world["ngo"]})
        session.execute(text("DELETE FROM agencies WHERE id = :a"), {"a": world["ngo"]})
    assert in_session(lambda s: s.query(AgencyLabel).filter_by(agency_id=world["ngo"]).count()) \
        == 0


# -- the migration -----------------------------------------------------------------------------
def _label_diff(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                load_all().metadata)
    engine.dispose()
    return [d for d in diff if any(name in repr(d) for name in LABEL_TABLES)]


def test_0011_upgrades_a_database_with_cases_matches_the_models_and_goes_down_and_up(
        empty_url: str) -> None:
    upgrade(empty_url, "0010_directory_admin")
    now = datetime.now(UTC)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO cases (conversation_id, status, priority, source, language, summary, "
            "handoff_active, notify_level, legal_hold, created_at, updated_at) VALUES ('c-1', "
            "'Active', 'normal', 'request', 'th', 'x', :f, 0, :f, :t, :t)"), {"f": False, "t": now})
        conn.execute(text(  # an urgent case already widely notified under the old levels
            "INSERT INTO cases (conversation_id, status, priority, source, language, summary, "
            "handoff_active, notify_level, legal_hold, created_at, updated_at) VALUES ('c-2', "
            "'Active', 'urgent', 'emergency', 'th', 'x', :f, 2, :f, :t, :t)"),
            {"f": False, "t": now})
    engine.dispose()
    upgrade(empty_url)
    assert _label_diff(empty_url) == []
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        levels = dict(conn.execute(text("SELECT conversation_id, notify_level FROM cases")).all())
        assert levels == {"c-1": 0, "c-2": WIDE}  # the wide notice is not sent again
        conn.execute(text("DELETE FROM cases WHERE conversation_id = 'c-2'"))
    engine.dispose()
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        agency = conn.execute(text("SELECT id FROM agencies")).scalars().first()
        case_id = conn.execute(text("SELECT id FROM cases")).scalar_one()
        conn.execute(text("INSERT INTO agency_labels (agency_id, name, created_at) "
                          "VALUES (:a, 'kept', :t)"), {"a": agency, "t": now})
        label = conn.execute(text("SELECT id FROM agency_labels")).scalar_one()
        conn.execute(text("INSERT INTO case_labels (case_id, label_id, added_at) "
                          "VALUES (:c, :l, :t)"), {"c": case_id, "l": label, "t": now})
    engine.dispose()
    command.downgrade(alembic_config(empty_url), "0010_directory_admin")
    engine = make_engine(empty_url)
    assert not LABEL_TABLES & set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 1
    engine.dispose()
    upgrade(empty_url)
    assert _label_diff(empty_url) == []
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_labels")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 1
    engine.dispose()
