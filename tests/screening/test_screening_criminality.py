"""Forced-criminality module: asked only for that form, each item with its source and marked
for expert review, recorded beside the ILO/EC result without changing it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from saphan.language import LANGUAGES, detect_language
from screening import store
from screening.adaptive import AdaptivePlanner
from screening.criminality import CRIMINALITY_FILE, MODULE, default_criminality, load_criminality
from screening.errors import ScreeningDataError
from screening.explain import explain
from screening.loader import ScreeningData
from screening.questionnaire import REVIEW_LANGUAGES
from screening.scoring import score
from screening.session import ScreeningSession
from testsupport.databases import scoped

SCAM = {"dr_job_nature", "dr_wages", "ex_hours", "ex_pay", "cd_illicit", "cd_isolation"}


def screen(data: ScreeningData, planner: AdaptivePlanner, form: str, mode: str,
           module_yes: set[str]) -> tuple[ScreeningSession, list[str]]:
    session = ScreeningSession.start(data, planner, "en", mode=mode)  # type: ignore[arg-type]
    if mode == "card":
        session.answer(f"profile:no:{form}")
    else:
        session.answer("no")
    shown = []
    while (prompt := session.prompt()) is not None:
        shown.append(prompt.id)
        if prompt.kind == "context":
            session.answer(form if prompt.id == "exploitation_form" else
                           prompt.options[-2][0] if prompt.options else "Tak")
        elif prompt.kind == "card":
            wanted = module_yes if prompt.id == MODULE else SCAM
            ticks = [str(line.number) for line in prompt.lines
                     if line.item_id in wanted and line.answer is None]
            session.answer(ticks[0] if ticks else "rest:no")
        else:
            session.answer("yes" if prompt.id in SCAM else "no")
    return session, shown


def test_every_item_has_a_source_and_awaits_expert_review() -> None:
    module = default_criminality()
    assert len(module.items) >= 6
    for item in module.items:
        assert item.expert_review is True and item.source
        assert item.label.th and item.officer.th and item.person.th


@pytest.mark.parametrize("mode", ["card", "list"])
def test_module_only_for_forced_criminality_and_result_unchanged(
    data: ScreeningData, planner: AdaptivePlanner, mode: str
) -> None:
    labour, labour_shown = screen(data, planner, "labour", mode, set())
    assert MODULE not in labour_shown and not labour.state.module
    crime, shown = screen(data, planner, "criminality", mode,
                          {"fc_forced_fraud", "fc_guarded_compound"})
    assert shown.count(MODULE) == 3  # two ticks, then "none of the rest"
    result = crime.result()
    assert result.list_id == "adult_labour"
    assert result.category == labour.result().category == "likely_victim"
    assert result.category == score(data, crime.state.context, crime.state.answers).category
    assert result.module["fc_forced_fraud"] == "yes"
    assert result.module["fc_online_job_offer"] == "no"
    assert result.to_dict()["module"] == dict(result.module)
    assert "module" not in labour.result().to_dict()
    crime.back()  # the last step was an ILO/EC one: the module's answers stay
    assert crime.prompt() is not None and crime.state.module == dict(result.module)
    resumed = ScreeningSession.resume(data, planner, crime.pause())  # replays the module too
    assert resumed.state.module == crime.state.module


def test_module_findings_are_explained_with_sources(data: ScreeningData,
                                                    planner: AdaptivePlanner) -> None:
    session, _ = screen(data, planner, "criminality", "card", {"fc_forced_fraud"})
    record = session.record("1", "Police Tak")
    explanation = explain(data, record.context, record.answers, "en",
                          module=record.result.module)
    assert explanation.module is not None
    assert "Forced to defraud people online [OHCHR-2023; UNODC-2023]" in explanation.module
    assert "non-punishment" in explanation.module
    assert explanation.module in explanation.render()


def test_module_answers_are_stored_with_the_result(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    session, _ = screen(data, planner, "criminality", "card", {"fc_ransom_resale"})
    record = session.record("1", "Police Tak")
    scoped(store.save_record)(record, None)
    row = scoped(store.load_record)(record.id)
    assert store.to_record(row).result.module == record.result.module


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_person_text_of_the_module_is_in_all_five_languages(lang: str) -> None:
    """What the person reads of every module item, in their own script; my/km/lo are machine
    drafts marked for review exactly as the questionnaire marks them (`review: true`)."""
    for item in default_criminality().items:
        text, shown, needs_review = item.person.for_person(lang)
        assert shown == lang and detect_language(text) == lang, (item.id, lang)
        assert needs_review is (lang in REVIEW_LANGUAGES), (item.id, lang)


def test_a_module_item_without_a_lao_draft_fails_with_the_file_name(tmp_path: Path) -> None:
    raw = yaml.safe_load(CRIMINALITY_FILE.read_text("utf-8"))
    del raw["items"][0]["person"]["lo"]
    bad = tmp_path / "forced_criminality.yml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    with pytest.raises(ScreeningDataError, match=r"forced_criminality\.yml"):
        load_criminality(bad)
