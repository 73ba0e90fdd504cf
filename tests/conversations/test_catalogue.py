"""The text catalogue (content/catalogue.py, content/texts/<namespace>.yml): the shipped files
pass every check, and each check fails on a deliberately broken copy."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from content.catalogue import (
    HOTLINES_FILE,
    NAMESPACES,
    PERSON_NAMESPACES,
    REVIEW_STATES,
    TEXTS_DIR,
    CatalogueError,
    catalogue,
    full_languages,
    languages,
    load_catalogue,
    placeholders,
    review,
    text,
    texts,
)
from saphan.language import LANGUAGES, detect_language

HOTLINE_NUMBERS = {str(phone) for service in yaml.safe_load(HOTLINES_FILE.read_text("utf-8"))
                   ["services"] for phone in service["phones"]}


# --- the shipped catalogue ---------------------------------------------------------------------

def test_the_five_namespaces_load_with_their_language_sets() -> None:
    assert tuple(catalogue().namespaces) == NAMESPACES
    assert PERSON_NAMESPACES == ("bot", "gateway", "cases")
    for name in PERSON_NAMESPACES:  # what migrants read: all five languages
        assert languages(name) == full_languages(name) == LANGUAGES
    # read by officers and caseworkers only: Thai and English
    assert languages("dashboard") == full_languages("dashboard") == ("th", "en")
    assert set(languages("screening")) == {"th", "en"}


def test_every_person_facing_text_is_in_all_five_languages_or_english_only_with_a_reason(
        ) -> None:
    for name in PERSON_NAMESPACES:
        space = catalogue().namespace(name)
        for key, by_language in space.texts.items():
            if "all" in by_language:  # one text for everybody: caseworker alerts on LINE
                assert key in {"new_case", "renotify", "renotify_overdue", "delivery_failed",
                               "notifications_held", "menu_chat_bar", "referral_new",
                               "referral_reminder"}, (name, key)
                continue
            if key in space.english_only:
                assert len(space.english_only[key]) > 20, (name, key)  # a reason, not a word
                assert {"th", "en"} <= set(by_language)
                assert text(name, key, "my") == text(name, key, "en")
                continue
            assert set(by_language) == set(LANGUAGES), (name, key)
            for lang in LANGUAGES:  # and written in that language's script
                shown = text(name, key, lang, **{p: "1" for p in placeholders(by_language[lang])
                                                  if not p.startswith("hotline_")
                                                  and p not in space.includes})
                if lang != "en" or key != "choose_language":  # lists the five names
                    assert detect_language(shown) == lang, (name, key, lang, shown)
    english_only = catalogue().namespace("gateway").english_only
    assert english_only and all(key.startswith("menu_officer_") for key in english_only)


def test_my_km_lo_texts_are_machine_drafts_until_reviewed() -> None:
    for name in PERSON_NAMESPACES:
        space = catalogue().namespace(name)
        for (key, lang), record in space.reviews.items():
            if lang in ("my", "km", "lo") and "all" not in space.texts[key]:
                assert record.state == "machine_draft", (name, key, lang)


def test_every_text_has_a_review_record_and_short_languages_are_machine_drafts() -> None:
    for name, space in catalogue().namespaces.items():
        for key, by_language in space.texts.items():
            for lang in (space.languages if "all" in by_language else by_language):
                record = review(name, key, lang)
                assert record.state in REVIEW_STATES and record.by
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record.date)
    for lang in ("my", "km", "lo"):
        assert review("bot", "emergency", lang).state == "machine_draft"
    assert review("bot", "emergency", "th").state == "reviewed"


def test_no_shipped_text_writes_a_hotline_number_but_rendered_texts_show_them() -> None:
    for space in catalogue().namespaces.values():
        for by_language in space.texts.values():
            for value in by_language.values():
                assert not set(re.findall(r"\d+", value)) & HOTLINE_NUMBERS, value
    for lang in ("th", "en", "xx"):
        assert {"191", "1300"} <= set(re.findall(r"\d+", text("gateway", "fallback", lang)))
    assert "191" in text("bot", "emergency", "my") and "1300" in text("bot", "goodbye", "th")
    assert "1546" in text("bot", "rights_unverified", "en")


def test_rendered_texts_leave_only_caller_placeholders() -> None:
    facts = set(catalogue().facts)
    for name, space in catalogue().namespaces.items():
        for lang in space.languages:
            for key, shown in texts(name, lang).items():
                assert not placeholders(shown) & (facts | space.includes), (name, key, lang)


def test_one_bilingual_text_for_everybody_and_caller_values_named_language() -> None:
    alert = text("cases", "new_case", "th", id=7, priority="urgent", source="emergency",
                 language="my", province="", summary="-", link="http://x/7")
    assert alert == text("cases", "new_case", "en", id=7, priority="urgent",
                         source="emergency", language="my", province="", summary="-",
                         link="http://x/7")
    assert "#7" in alert and "(emergency, my)" in alert


# --- each check fails on a broken copy -------------------------------------------------------

def broken(tmp_path: Path, namespace: str, change: Callable[[dict], None]) -> Path:
    """A copy of the catalogue with one namespace file changed by `change`."""
    shutil.copytree(TEXTS_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / f"{namespace}.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return tmp_path


def test_the_unchanged_copy_loads(tmp_path: Path) -> None:
    assert load_catalogue(broken(tmp_path, "bot", lambda data: None)).namespaces


@pytest.mark.parametrize(("namespace", "key", "lang"), [
    ("bot", "goodbye", "th"), ("bot", "emergency", "km"), ("gateway", "welcome", "en"),
    ("cases", "handoff_ended", "th"), ("screening", "paused", "th"), ("dashboard", "queue", "en"),
])
def test_a_missing_key_in_a_required_language_fails(tmp_path: Path, namespace: str, key: str,
                                                     lang: str) -> None:
    directory = broken(tmp_path, namespace, lambda data: data["texts"][key].pop(lang))
    with pytest.raises(CatalogueError, match=rf"{namespace}\.yml.*{key}.*{lang}"):
        load_catalogue(directory)


def test_a_required_short_key_that_does_not_exist_fails(tmp_path: Path) -> None:
    directory = broken(tmp_path, "bot",
                       lambda data: data["languages"].update(lo=["no_such_text"]))
    with pytest.raises(CatalogueError, match="no_such_text"):
        load_catalogue(directory)


@pytest.mark.parametrize(("namespace", "key", "lang", "value"), [
    ("bot", "results_local", "th", "หน่วยงานที่ช่วยได้ ({number} แห่ง):"),
    ("screening", "enrolled", "en", "Thank you. You are enrolled as {role}."),
    ("gateway", "fallback", "en", "Sorry. If you are in danger, call {hotline_police}."),
])
def test_a_placeholder_mismatch_between_languages_fails(tmp_path: Path, namespace: str,
                                                        key: str, lang: str,
                                                        value: str) -> None:
    def change(data: dict) -> None:
        data["texts"][key][lang] = value
    with pytest.raises(CatalogueError, match=rf"{key}.*placeholders differ"):
        load_catalogue(broken(tmp_path, namespace, change))


@pytest.mark.parametrize("change", [
    lambda data: data["texts"]["goodbye"].update(xx="bye"),  # not a language at all
    lambda data: data["languages"].update(xx="all"),
    lambda data: data["review_by_language"].update(xx=data["review"]),
])
def test_an_unknown_language_fails(tmp_path: Path, change: Callable[[dict], None]) -> None:
    with pytest.raises(CatalogueError, match="unknown language 'xx'"):
        load_catalogue(broken(tmp_path, "bot", change))


def test_a_language_the_namespace_does_not_declare_fails(tmp_path: Path) -> None:
    directory = broken(tmp_path, "dashboard", lambda data: data["texts"]["queue"].update(my="x"))
    with pytest.raises(CatalogueError, match="unknown language 'my' for namespace dashboard"):
        load_catalogue(directory)


@pytest.mark.parametrize(("namespace", "key", "lang", "value"), [
    ("bot", "goodbye", "en", "Take care. In danger: 191 or {hotline_social}."),
    ("gateway", "emergency_numbers", "th", "{hotline_police}, 1300"),
    ("screening", "services_none", "en", "No {service} near {province}; call 1694."),
    ("cases", "new_case", "all", "{id}{priority}{source}{language}{province}{summary}{link} 1669"),
])
def test_a_hotline_number_written_into_a_text_fails(tmp_path: Path, namespace: str, key: str,
                                                    lang: str, value: str) -> None:
    def change(data: dict) -> None:
        data["texts"][key][lang] = value
    with pytest.raises(CatalogueError, match=rf"{key}.*hotline number"):
        load_catalogue(broken(tmp_path, namespace, change))


def test_an_include_cycle_fails(tmp_path: Path) -> None:
    def change(data: dict) -> None:
        data["texts"]["emergency_numbers"] = dict.fromkeys(LANGUAGES, "{welcome}")
        data["includes"].append("welcome")
    with pytest.raises(CatalogueError, match="include cycle"):
        load_catalogue(broken(tmp_path, "gateway", change))


def test_a_malformed_review_record_fails(tmp_path: Path) -> None:
    def change(data: dict) -> None:
        data["texts"]["paused"]["review"] = {"state": "looked at", "by": "x", "date": "soon"}
    with pytest.raises(CatalogueError, match=r"paused.*review"):
        load_catalogue(broken(tmp_path, "screening", change))


def test_a_fact_naming_an_unknown_hotline_fails(tmp_path: Path) -> None:
    shutil.copytree(TEXTS_DIR, tmp_path, dirs_exist_ok=True)
    facts = tmp_path / "facts.yml"
    facts.write_text(facts.read_text("utf-8") + "  hotline_gone: hotline-1191\n", "utf-8")
    with pytest.raises(CatalogueError, match="hotline-1191"):
        load_catalogue(tmp_path)


def test_a_misspelt_fact_placeholder_fails(tmp_path: Path) -> None:
    def change(data: dict) -> None:
        for lang in ("th", "en"):
            data["texts"]["goodbye"][lang] = data["texts"]["goodbye"][lang].replace(
                "{hotline_social}", "{hotline_socail}")
    with pytest.raises(CatalogueError, match=r"goodbye.*hotline_socail"):
        load_catalogue(broken(tmp_path, "bot", change))


def test_a_person_facing_text_missing_in_khmer_fails_unless_english_only_with_a_reason(
        tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"gateway\.yml text 'welcome': missing in \['km'\]"):
        load_catalogue(broken(tmp_path, "gateway",
                              lambda data: data["texts"]["welcome"].pop("km")))

    def english_only(data: dict) -> None:
        data["texts"]["welcome"].pop("km")
        data["english_only"]["welcome"] = "shown before anyone chose a language"
    assert load_catalogue(broken(tmp_path, "gateway", english_only)).namespace(
        "gateway").template("welcome", "km") == text("gateway", "welcome", "en").replace(
            text("gateway", "emergency_numbers", "en"), "{emergency_numbers}").replace(
            text("gateway", "privacy_notice", "en"), "{privacy_notice}")

    def no_reason(data: dict) -> None:
        data["english_only"]["welcome"] = " "
    with pytest.raises(CatalogueError, match="english_only maps each key to its reason"):
        load_catalogue(broken(tmp_path, "gateway", no_reason))


def test_a_review_record_for_one_language_of_one_text(tmp_path: Path) -> None:
    def reviewed(data: dict) -> None:
        data["texts"]["goodbye"]["review_km"] = {"state": "reviewed", "by": "K. Translator",
                                                 "date": "2026-12-07"}
    space = load_catalogue(broken(tmp_path, "bot", reviewed)).namespace("bot")
    assert space.reviews[("goodbye", "km")].by == "K. Translator"
    assert space.reviews[("goodbye", "lo")].state == "machine_draft"
    assert space.reviews[("goodbye", "th")].state == "reviewed"

    def bad(data: dict) -> None:
        data["texts"]["goodbye"]["review_xx"] = {"state": "reviewed", "by": "x",
                                                 "date": "2026-12-07"}
    with pytest.raises(CatalogueError, match="unknown language 'xx'"):
        load_catalogue(broken(tmp_path, "bot", bad))


def test_an_unreviewed_text_is_shown_and_logged_by_key_and_language_only(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="saphan.texts.unreviewed"):
        shown = text("bot", "safe_no", "lo")
        text("bot", "safe_no", "th")  # reviewed: not logged
        text("gateway", "menu_officer_emergency", "km")  # English-only, reviewed in English
    assert shown == catalogue().render("bot", "safe_no", "lo", {})  # shown, never hidden
    assert [r.getMessage() for r in caplog.records] == [
        "unreviewed text shown: bot.safe_no [lo] (machine_draft)"]
    assert "191" not in caplog.text and "ຂໍໃຫ້" not in caplog.text


# --- know-your-rights answers (content/rights.yml): the same five languages -------------------

def test_every_rights_answer_is_in_all_five_languages_and_my_km_lo_are_drafts() -> None:
    from content.rights import load_rights

    for topic in load_rights().values():
        assert set(topic.answer) == set(LANGUAGES), topic.topic
        for lang in LANGUAGES:  # written in that language's script, numbers filled in
            assert detect_language(topic.answer[lang]) == lang, (topic.topic, lang)
            assert "{" not in topic.answer[lang], (topic.topic, lang)
            expected = "machine_draft" if lang in ("my", "km", "lo") else "reviewed"
            assert topic.review[lang] == expected, (topic.topic, lang)


@pytest.mark.parametrize(("question", "language", "topic"), [
    ("အလုပ်ရှင်က ပတ်စ်ပို့ သိမ်းထားတယ် ရလား", "my", "documents"),
    ("ប្រាក់ឈ្នួលអប្បបរមាប៉ុន្មាន", "km", "minimum_wage"),
    ("ລາປ່ວຍໄດ້ຈັກມື້", "lo", "sick_leave"),
])
def test_a_rights_question_in_my_km_lo_is_answered_in_that_language_and_logged_as_draft(
        question: str, language: str, topic: str, caplog: pytest.LogCaptureFixture) -> None:
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.rights import ActionAnswerRights

    latest = {"text": question, "intent": {"name": "ask_rights"}, "entities": [],
              "language": language}
    tracker = Tracker("rights-1", {}, latest,
                      [{"event": "user", "text": question, "parse_data": latest}],
                      False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    with caplog.at_level("INFO", logger="saphan.texts.unreviewed"):
        ActionAnswerRights().run(dispatcher, tracker, {})
    answer = dispatcher.messages[0]["text"].split("\n\n")[0]
    assert detect_language(answer) == language, answer
    assert f"unreviewed text shown: rights.{topic} [{language}] (machine_draft)" in [
        r.getMessage() for r in caplog.records]
