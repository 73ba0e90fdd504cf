"""NRM next steps: one list per result, real hotline numbers, directory service types."""

from __future__ import annotations

import re

import pytest
import yaml

from referral_directory.vocab import SERVICE_TYPES
from saphan.paths import ROOT
from screening.errors import ScreeningDataError
from screening.next_steps import (
    NEXT_STEPS_FILE,
    default_next_steps,
    load_next_steps,
    next_steps_for,
)

HOTLINES = ROOT / "referral_directory" / "data" / "hotlines.yaml"
VERDICT = re.compile(r"\b(is|are) (a )?victims?\b|\bconfirmed\b|\bidentified as\b", re.I)


def test_every_result_has_steps_and_safety_comes_first(data) -> None:
    steps = default_next_steps()
    assert set(steps.by_result) == {r.id for r in data.rules.results}
    for category in steps.by_result:
        chosen = next_steps_for(category, "Ranong")
        assert chosen.steps[0].id == "immediate_safety"
        assert "refer_caseworker" in [s.id for s in chosen.steps]


def test_likely_victim_notifies_mdt_and_searches_shelter_and_interpreter() -> None:
    chosen = next_steps_for("likely_victim", "Ranong")
    text = chosen.render("en")
    assert "1300" in text and "191" in text and "MDT" in text
    assert {(s.service_type, s.province) for s in chosen.searches} == {
        ("shelter", "Ranong"),
        ("interpreter", "Ranong"),
    }
    assert "1300" in chosen.render("th")


def test_numbers_exist_in_the_directory_and_types_are_known() -> None:
    directory = yaml.safe_load(HOTLINES.read_text(encoding="utf-8"))
    phones = {p for service in directory["services"] for p in service["phones"]}
    for step in default_next_steps().steps:
        assert set(step.call) <= phones, step.id
        for number in step.call:  # the number is also in the text people read
            assert number in step.text.en and number in step.text.th
        assert set(step.service_types) <= set(SERVICE_TYPES), step.id
        assert step.source


@pytest.mark.parametrize("lang", ["en", "th"])
def test_wording_is_never_a_verdict(lang) -> None:
    for category in default_next_steps().by_result:
        text = next_steps_for(category, None).render(lang)
        assert not VERDICT.search(text) and "เป็นผู้เสียหาย" not in text


def test_bad_file_and_unknown_result(tmp_path) -> None:
    raw = yaml.safe_load(NEXT_STEPS_FILE.read_text(encoding="utf-8"))
    raw["by_result"]["likely_victim"].append("fly_away")
    path = tmp_path / "next_steps.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        ScreeningDataError, match=r"(?s)next_steps\.yml.*unknown step\(s\) fly_away"
    ):
        load_next_steps(path)
    with pytest.raises(KeyError, match="no next steps"):
        next_steps_for("verdict", None)


@pytest.mark.parametrize(("change", "message"), [
    (lambda step: step["text"].update(en="Call the police on 191."), r"hotline number 191"),
    (lambda step: step.update(call=["191"]), r"unknown hotline"),
])
def test_hotline_numbers_are_named_not_written(tmp_path, change, message) -> None:
    raw = yaml.safe_load(NEXT_STEPS_FILE.read_text(encoding="utf-8"))
    assert "{hotline_police}" in raw["steps"][0]["text"]["en"]
    change(raw["steps"][0])
    path = tmp_path / "next_steps.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScreeningDataError, match=rf"(?s)next_steps\.yml.*{message}"):
        load_next_steps(path)
