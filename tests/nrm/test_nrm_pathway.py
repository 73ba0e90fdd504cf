"""The NRM pathway file and its state machine (`nrm/pathway.py`): the bundled file loads, every
stage is reachable and named in the catalogue, a broken file fails naming the file and the item,
`check` refuses a move the data does not allow with a clear message, records are validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agencies.vocab import AGENCY_KINDS
from cases import mdt
from cases.vocab import SHARE_ITEMS
from content.catalogue import texts
from nrm.pathway import (
    MAIN,
    PATHWAY_FILE,
    PathwayDataError,
    RecordInvalid,
    TransitionRefused,
    default_pathway,
    load_pathway,
)


def raw() -> dict:
    return yaml.safe_load(PATHWAY_FILE.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "pathway.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str)
                    else data, encoding="utf-8")
    return path


def test_bundled_pathway_covers_the_nrm_steps_of_the_issue() -> None:
    pathway = default_pathway()
    assert pathway.start == "report_received"
    assert set(pathway.stage_ids) == {
        "report_received", "screening", "fact_check", "temporary_protection", "mdt_interview",
        "identified", "not_identified", "protection_assistance", "return_reintegration",
        "prosecution_support", "prosecution_concluded"}
    assert pathway.tracks == (MAIN, "prosecution")
    limit = pathway.stage("temporary_protection").time_limit
    assert limit is not None and limit.days == 15 and limit.until == "mdt_interview"
    assert "15 days" in limit.source and "nrm.md" in limit.source
    assert all(any("nrm.md" in s for s in stage.source) for stage in pathway.stages)
    services = pathway.check("identified", "protection_assistance", "shelter").records[0]
    assert services.options == ("shelter", "medical", "legal_aid", "compensation")


def test_every_stage_is_reachable_and_every_move_has_real_agency_kinds() -> None:
    pathway = default_pathway()
    reached, todo = {pathway.start}, [pathway.start]
    while todo:
        here = todo.pop()
        for move in pathway.transitions:
            if here in move.from_stages and move.to not in reached:
                reached.add(move.to)
                todo.append(move.to)
    assert reached == set(pathway.stage_ids)
    for move in pathway.transitions:
        assert move.kinds and set(move.kinds) <= set(AGENCY_KINDS)


def test_check_refuses_a_move_the_data_does_not_allow_with_a_clear_message() -> None:
    pathway = default_pathway()
    move = pathway.check("fact_check", "temporary_protection", "shelter")
    assert move.to == "temporary_protection"
    with pytest.raises(TransitionRefused) as refused:
        pathway.check("fact_check", "temporary_protection", "ngo")
    assert str(refused.value) == (
        "ngo may not move a case from fact_check to temporary_protection; allowed: "
        + ", ".join(move.kinds))
    with pytest.raises(TransitionRefused, match="no move from report_received to identified; "
                                                "allowed from report_received: screening, "
                                                "fact_check"):
        pathway.check("report_received", "identified", "msdhs_provincial")
    with pytest.raises(TransitionRefused, match="unknown NRM stage 'nowhere'"):
        pathway.check("report_received", "nowhere", "police")
    with pytest.raises(TransitionRefused, match="unknown agency kind 'army'"):
        pathway.check("report_received", "screening", "army")


def test_prosecution_support_runs_alongside_the_main_track() -> None:
    pathway = default_pathway()
    open_now = [m.to for m in pathway.next_moves({MAIN: "protection_assistance"}, "prosecutor")]
    assert open_now == ["prosecution_support"]
    both = {MAIN: "protection_assistance", "prosecution": "prosecution_support"}
    assert pathway.leaving(both, "return_reintegration") == "protection_assistance"
    assert pathway.leaving(both, "prosecution_concluded") == "prosecution_support"
    assert [m.to for m in pathway.next_moves(both, "prosecutor")] == ["prosecution_concluded"]
    assert "return_reintegration" in [m.to for m in pathway.next_moves(both, "shelter")]


def test_records_are_validated_field_by_field() -> None:
    move = default_pathway().check("fact_check", "temporary_protection", "msdhs_provincial")
    assert move.validate_record({"shelter": " Baan Kredtrakarn ", "start_date": "2026-12-01"}) \
        == {"shelter": "Baan Kredtrakarn", "start_date": "2026-12-01"}
    with pytest.raises(RecordInvalid) as bad:
        move.validate_record({"start_date": "2026-13-01", "note": "x"})
    message = str(bad.value)
    assert "unknown field 'note' (this move records: shelter, start_date)" in message
    assert "shelter: required" in message and "'2026-13-01' is not a date" in message
    assist = default_pathway().check("identified", "protection_assistance", "shelter")
    assert assist.validate_record({"services": ["legal_aid", "shelter"],
                                   "start_date": "2026-12-02"})["services"] == [
        "shelter", "legal_aid"]
    with pytest.raises(RecordInvalid, match="services: spa not one of"):
        assist.validate_record({"services": ["spa"], "start_date": "2026-12-02"})


def test_every_stage_field_and_option_has_th_and_en_names_in_the_catalogue() -> None:
    pathway = default_pathway()
    keys = {f"nrm_stage_{s}" for s in pathway.stage_ids}
    for move in pathway.transitions:
        keys |= {f"nrm_field_{f.name}" for f in move.records}
        keys |= {f"nrm_option_{o}" for f in move.records for o in f.options}
        assert all(f.share is None or f.share in SHARE_ITEMS for f in move.records)
    keys |= {f"nrm_decision_{d}" for d in mdt.DECISIONS}
    for language in ("th", "en"):
        missing = keys - set(texts("dashboard_nrm", language))
        assert not missing, (language, sorted(missing))


def test_the_mdt_record_enters_stages_the_pathway_has() -> None:
    pathway = default_pathway()
    interview = pathway.check("temporary_protection", mdt.INTERVIEW_STAGE, "msdhs_provincial")
    assert mdt.INTERVIEW_DATE_FIELD in {f.name for f in interview.records}
    for decision in ("identified", "not_identified"):
        move = pathway.check(mdt.INTERVIEW_STAGE, decision, "msdhs_provincial")
        assert move.mdt_decision and [f.name for f in move.records] == [mdt.DECISION_DATE_FIELD]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["stages"].append({"id": "limbo", "track": "main", "source": ["x"]}),
     "stages: not reachable from 'report_received': limbo"),
    (lambda d: d["transitions"][0].update(to="nowhere"),
     "transitions[0] (to 'nowhere'): unknown stage 'nowhere'"),
    (lambda d: d["transitions"][2].update(by=["army"]),
     "transitions[2] (to 'temporary_protection').by: 'army' is neither an agency kind"),
    (lambda d: d["kinds"]["frontline"].append("army"),
     "kinds.frontline: unknown agency kind(s) army"),
    (lambda d: d["stages"][3]["time_limit"].update(days=0),
     "stages[3] (id 'temporary_protection').time_limit.days"),
    (lambda d: d["transitions"][1]["records"][1].update(type="choice", options=[]),
     "field 'rescue': a choice field needs options"),
    (lambda d: d["transitions"][1].update(date_field="rescue"),
     "transitions[1] (to 'fact_check').date_field: 'rescue' is not a date field"),
    (lambda d: d["stages"][1].update(start=True),
     "exactly one start stage"),
    (lambda d: d["transitions"][0].update(kinds=["ngo"]),
     "transitions[0] (to 'screening').kinds: filled from `by`"),
    (lambda d: d["stages"][0].update(colour="red"),
     "stages[0] (id 'report_received').colour: Extra inputs are not permitted"),
])
def test_broken_files_fail_naming_the_file_and_the_item(tmp_path: Path, change, expected) -> None:
    data = raw()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(PathwayDataError) as failed:
        load_pathway(path)
    assert str(failed.value).startswith(f"{path}: invalid NRM pathway")
    assert expected in str(failed.value)


def test_unreadable_and_non_yaml_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.yml"
    with pytest.raises(PathwayDataError, match=f"{missing}: cannot read"):
        load_pathway(missing)
    with pytest.raises(PathwayDataError, match="not valid YAML"):
        load_pathway(write(tmp_path, "stages: [\n"))
    with pytest.raises(PathwayDataError, match="expected a mapping"):
        load_pathway(write(tmp_path, "- 1\n"))
