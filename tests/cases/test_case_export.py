"""The per-agency HTCDS export (`cases.export.cases_csv`) on real SQLite and PostgreSQL: only
the cases the agency is on, as it sees them (shares respected, no notes or unshared free text),
with Organisation, referring / referred organisation, cas_Status incl. ClosedReferred and the
NRM stage dates."""

from __future__ import annotations

import csv
import io

import pytest

from agencies import store
from cases import service, stages
from cases.export import cases_csv, header, stage_column
from cases.htcds import REFERENCE, parse_fields
from nrm.pathway import default_pathway
from saphan.db import in_session, session_scope, utcnow
from screening.htcds import PERSON_MODE_FIELDS
from testsupport.nrm_world import World, hand_over, make_world, new_case

SECRET_NOTE = "police-only note: informant lives at the pier"


@pytest.fixture
def world(app_env: str) -> World:
    return make_world()


def rows(world: World, code: str) -> dict[str, dict[str, str]]:
    text = in_session(cases_csv, world.agencies[code])
    assert SECRET_NOTE not in text and "transcript line" not in text
    return {r["saphan_CaseId"]: r for r in csv.DictReader(io.StringIO(text))}


def name(world: World, code: str) -> str:
    return in_session(lambda s: store.get(s, world.agencies[code]).name_en)


def test_header_uses_htcds_names_and_a_date_column_per_nrm_stage(world: World) -> None:
    names = in_session(header, world.agencies["tak-msdhs"])
    reference = parse_fields(REFERENCE.read_text(encoding="utf-8"))
    assert {n for n in names if not n.startswith("saphan_")} <= set(reference)
    for field in ("org_Name", "cas_Status", "cas_ReferringOrganisation",
                  "cas_IncomingReferralDate", "cas_ReferredOrganisation"):
        assert field in names
    assert reference["cas_Status"].values == ("Active", "FollowUp", "Closed", "ClosedReferred")
    assert [stage_column(s) for s in default_pathway().stage_ids] == [
        n for n in names if n.startswith("saphan_Nrm") and n.endswith("Date")]
    assert stage_column("mdt_interview") == "saphan_NrmMdtInterviewDate"
    with pytest.raises(LookupError):
        in_session(cases_csv, 4242)


def test_each_agency_exports_only_its_cases_as_it_sees_them(world: World) -> None:
    shared = new_case(world, "c1", province="Tak", transcript=[
        {"sender": "user", "text": "transcript line"}])
    own_only = new_case(world, "c2", province="Tak")
    police_case = new_case(world, "c3", owner="police")
    with session_scope() as session:
        service.add_note(session, shared, SECRET_NOTE, world.workers["somchai"], "case")
        stages.move(session, shared, "fact_check", world.agency(session, "somchai"),
                    world.workers["somchai"], {"fact_check_date": "2026-12-01", "rescue": "yes"})
    hand_over(world, shared, "somchai", "police", ["summary", "notes"],
              summary="Migrant worker, 24, asks for help")
    hand_over(world, shared, "somchai", "shelter", ["summary", "location"])
    with session_scope() as session:
        service.close(session, shared, "ClosedReferred", "handed to the police",
                      world.workers["somchai"])
    today = utcnow().date().isoformat()

    msdhs = rows(world, "tak-msdhs")
    assert set(msdhs) == {str(shared), str(own_only)}
    mine = msdhs[str(shared)]
    assert mine["org_Name"] == name(world, "tak-msdhs") and mine["saphan_Access"] == "owner"
    assert mine["cas_Status"] == "ClosedReferred"
    assert mine["cas_ReasonForCaseClosure"] == "handed to the police"
    assert mine["saphan_Province"] == "Tak" and mine["cas_ReferringOrganisation"] == ""
    assert mine["cas_ReferredOrganisation"] == "; ".join(
        [name(world, "tak-police-atp"), name(world, "tak-shelter")])
    assert mine["cas_OutgoingReferralDate"] == f"{today}; {today}"
    assert mine["saphan_NrmStage"] == "fact_check"
    assert mine["saphan_NrmReportReceivedDate"] == today
    assert mine["saphan_NrmFactCheckDate"] == "2026-12-01"
    assert mine["saphan_NrmIdentifiedDate"] == ""

    police = rows(world, "tak-police-atp")
    assert set(police) == {str(shared), str(police_case)}  # not the MSDHS-only case
    theirs = police[str(shared)]
    assert theirs["org_Name"] == name(world, "tak-police-atp")
    assert theirs["saphan_Access"] == "referral" and theirs["cas_Status"] == "ClosedReferred"
    assert theirs["cas_ReferringOrganisation"] == name(world, "tak-msdhs")
    assert theirs["cas_IncomingReferralDate"] == today
    assert theirs["cas_ReasonForIncomingReferral"] == "AdditionalServicesRequired"
    assert theirs["cas_IncomingReferralDetails"] == "Migrant worker, 24, asks for help"
    assert theirs["saphan_Province"] == ""  # location was not shared with the police
    assert theirs["cas_ReasonForCaseClosure"] == ""  # the owner's free text
    assert theirs["cas_ReferredOrganisation"] == ""  # the police referred it nowhere
    assert theirs["saphan_NrmFactCheckDate"] == "2026-12-01"  # the timeline is shared

    shelter = rows(world, "tak-shelter")[str(shared)]
    assert shelter["saphan_Province"] == "Tak"  # location shared
    assert shelter["cas_IncomingReferralDetails"] == ""  # consented summary was empty
    assert rows(world, "tak-ngo") == {}


def test_who_answered_a_screening_follows_the_htcds_columns_where_the_screening_is_seen(
        world: World) -> None:
    marks = {"saphan_AnsweredBy": "person", "saphan_PersonLanguage": "km",
             "saphan_DraftsShown": "yes"}
    screened = new_case(world, "c-screened", source="officer screening", screening={
        "answers": {"cd_debt": "yes"}, "answered_by": "person",
        "htcds": {"vic_MethodsOfControl": ["DebtBondage"], **marks}})
    plain = new_case(world, "c-plain")
    hand_over(world, screened, "somchai", "police", ["screening"])
    hand_over(world, screened, "somchai", "shelter", ["summary"])
    names = in_session(header, world.agencies["tak-msdhs"])
    assert names[-len(PERSON_MODE_FIELDS):] == list(PERSON_MODE_FIELDS)
    assert names.index("cas_ReasonForCaseClosure") < names.index("saphan_AnsweredBy")
    owner = rows(world, "tak-msdhs")
    assert {k: owner[str(screened)][k] for k in marks} == marks
    assert {k: owner[str(plain)][k] for k in marks} == dict.fromkeys(marks, "")
    police = rows(world, "tak-police-atp")[str(screened)]
    assert {k: police[k] for k in marks} == marks  # the screening was shared with them
    shelter = rows(world, "tak-shelter")[str(screened)]
    assert {k: shelter[k] for k in marks} == dict.fromkeys(marks, "")  # it was not
