"""The bundled data loads; broken files fail with a clear error naming file, item and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from screening.errors import ScreeningDataError
from screening.loader import QUESTIONNAIRE_FILE, RULES_FILE, load_screening
from screening.questionnaire import REVIEW_LANGUAGES, PersonText


def test_bundled_data_is_complete(data) -> None:
    q = data.questionnaire
    assert q.version == data.rules.version
    assert [d.number for d in q.dimensions] == [1, 2, 3, 4, 5, 6]
    assert {lst.id for lst in q.lists} == {
        "adult_labour",
        "adult_sexual",
        "child_labour",
        "child_sexual",
    }
    for lst in q.lists:
        dims = {item.dimension for item in q.items_for(lst.id)}
        assert dims == set(q.dimension_ids()), lst.id
    sectors = q.context_question("sector").option_ids()
    assert len(sectors) == 10 and sectors[-1] == "other"
    for item in q.items:
        assert item.source and item.officer.th and item.person.th
        # The reference says every grading must still be verified against the brochure.
        assert item.verified is False
    for entry in (*q.items, *q.context):
        for lang in REVIEW_LANGUAGES:  # machine drafts, all still marked for review
            draft = getattr(entry.person, lang)
            assert draft is not None and draft.text and draft.review is True, (entry.id, lang)


def _broken(
    tmp_path: Path,
    change: Callable[[dict[str, Any], dict[str, Any]], None],
) -> tuple[Path, Path]:
    """Copies of the real files with `change(questionnaire, rules)` applied."""
    questionnaire = yaml.safe_load(QUESTIONNAIRE_FILE.read_text(encoding="utf-8"))
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    change(questionnaire, rules)
    q_path, r_path = tmp_path / "questionnaire.yml", tmp_path / "rules.yml"
    q_path.write_text(yaml.safe_dump(questionnaire, allow_unicode=True), encoding="utf-8")
    r_path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return q_path, r_path


def _drop_strength(q: dict, r: dict) -> None:
    del q["items"][1]["strength"]


def _unknown_dimension(q: dict, r: dict) -> None:
    q["items"][2]["dimension"] = "deceptive_recuitment"


def _duplicate_id(q: dict, r: dict) -> None:
    q["items"][3]["id"] = q["items"][0]["id"]


def _bad_strength(q: dict, r: dict) -> None:
    q["items"][0]["strength"]["adult_labour"] = "very strong"


def _unknown_list(q: dict, r: dict) -> None:
    q["items"][0]["strength"]["adults_labour"] = "strong"


def _draft_without_review(q: dict, r: dict) -> None:
    q["items"][0]["person"]["my"] = {"text": "draft"}


def _missing_thai(q: dict, r: dict) -> None:
    del q["items"][0]["officer"]["th"]


def _rule_unknown_dimension(q: dict, r: dict) -> None:
    r["results"][0]["when"]["adult"]["all"][1]["positive_any"] = ["exploitaton"]


def _weak_only(q: dict, r: dict) -> None:
    r["dimension_positive_when"].append({"weak": 3})


def _rule_unknown_context(q: dict, r: dict) -> None:
    r["results"][0]["when"]["child"]["all"][1]["any"][0] = {"context_in": {"moved": ["yes"]}}


def _rule_unknown_list(q: dict, r: dict) -> None:
    r["list_by_profile_and_form"]["adult"]["labour"] = "adult_labor"


def _no_fallback(q: dict, r: dict) -> None:
    r["results"].pop()


def _two_conditions(q: dict, r: dict) -> None:
    r["results"][1]["when"]["adult"]["present_any"] = ["exploitation"]


Q, R = "questionnaire.yml", "rules.yml"
ITEM0 = r"items\[0\] \(id 'dr_job_nature'\)"


@pytest.mark.parametrize(
    ("change", "file", "expected"),
    [
        (_drop_strength, Q, r"items\[1\] \(id 'dr_wages'\)\.strength: Field required"),
        (
            _unknown_dimension,
            Q,
            r"'dr_conditions'\)\.dimension: unknown dimension 'deceptive_recuitment'",
        ),
        (_duplicate_id, Q, r"items: duplicate id 'dr_job_nature'"),
        (_bad_strength, Q, ITEM0 + r"\.strength\.adult_labour: Input should be 'strong', 'medium'"),
        (_unknown_list, Q, ITEM0 + r"\.strength: unknown list\(s\) adults_labour"),
        (_draft_without_review, Q, ITEM0 + r"\.person\.my\.review: Field required"),
        (_missing_thai, Q, ITEM0 + r"\.officer\.th: Field required"),
        (
            _rule_unknown_dimension,
            R,
            r"'likely_victim'\)\.when\.adult: unknown dimension\(s\) exploitaton",
        ),
        (_weak_only, R, r"dimension_positive_when\[5\]: weak indicators alone never"),
        (_rule_unknown_context, R, r"unknown context question 'moved'"),
        (_rule_unknown_list, R, r"list_by_profile_and_form\.adult: unknown list\(s\) adult_labor"),
        (_no_fallback, R, r"the last result must be the fallback"),
        (_two_conditions, R, r"exactly one of all, any, positive_any"),
    ],
)
def test_broken_file_fails_with_clear_error(tmp_path, change, file, expected) -> None:
    q_path, r_path = _broken(tmp_path, change)
    with pytest.raises(ScreeningDataError, match=expected) as caught:
        load_screening(q_path, r_path)
    assert str(tmp_path / file) in str(caught.value)


def test_unparsable_and_missing_files(tmp_path) -> None:
    bad = tmp_path / "questionnaire.yml"
    bad.write_text("items: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScreeningDataError, match=r"questionnaire\.yml: not valid YAML"):
        load_screening(bad, RULES_FILE)
    with pytest.raises(ScreeningDataError, match=r"nope\.yml: cannot read"):
        load_screening(QUESTIONNAIRE_FILE, tmp_path / "nope.yml")
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ScreeningDataError, match="expected a mapping"):
        load_screening(bad, RULES_FILE)


def test_person_text_falls_back_to_english_without_a_draft() -> None:
    text = PersonText(en="Are you safe?", th="คุณปลอดภัยไหม")
    assert text.for_person("km") == ("Are you safe?", "en", False)
    assert text.for_person("th") == ("คุณปลอดภัยไหม", "th", False)
