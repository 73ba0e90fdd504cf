"""Content files: the bot's texts, rights knowledge base, emergency keywords (no Rasa).
The catalogue's own checks: test_catalogue.py."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from content import CONTENT_DIR
from content.catalogue import (
    TEXTS_DIR,
    CatalogueError,
    catalogue,
    full_languages,
    languages,
    load_catalogue,
    review,
    text,
)
from content.keywords import KeywordsError, build_matcher, load_matcher
from content.rights import REQUIRED_TOPICS, RightsError, find_topic, load_rights
from referral_directory.bundled import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]


DRAFT_LANGUAGES = ("my", "km", "lo")


def bot_keys(lang: str) -> set[str]:
    return {key for key, by_language in catalogue().namespace("bot").texts.items()
            if lang in by_language}


def test_every_language_has_every_text_and_my_km_lo_are_marked_for_review() -> None:
    assert full_languages("bot") == languages("bot") == ("th", "en", *DRAFT_LANGUAGES)
    for lang in languages("bot"):
        assert bot_keys(lang) == set(catalogue().namespace("bot").texts)
    for lang in DRAFT_LANGUAGES:
        assert all(review("bot", key, lang).state == "machine_draft" for key in bot_keys(lang))


#: The migrant-conversation action modules (texts from content/texts).
CONVERSATION_MODULES = ("basics", "conversation", "delete_data", "emergency", "find_service",
                        "human", "report", "rights")


def test_every_text_key_the_actions_use_exists() -> None:
    source = "\n".join((ROOT / "actions" / f"{name}.py").read_text("utf-8")
                       for name in CONVERSATION_MODULES)
    used = set(re.findall(r'(?:say\(dispatcher, |text\(["\']bot["\'], )["\']([a-z0-9_]+)["\']',
                          source))
    used |= set(re.findall(r'\("(btn_[a-z_]+)", "/', source))
    assert len(used) > 25
    missing = used - bot_keys("en")
    assert not missing


def test_every_directory_service_type_has_a_label() -> None:
    from referral_directory.vocab import SERVICE_TYPES

    for kind in SERVICE_TYPES:
        assert text("bot", f"type_{kind}", "th") and text("bot", f"type_{kind}", "en")


def test_english_only_text_falls_back_to_english_and_unknown_to_thai() -> None:
    assert text("gateway", "menu_officer_emergency", "my") == \
        text("gateway", "menu_officer_emergency", "en")
    assert text("bot", "fallback", "my") != text("bot", "fallback", "en")
    assert text("bot", "emergency", "my") != text("bot", "emergency", "en")
    assert text("bot", "fallback", "xx") == text("bot", "fallback", "th")
    assert "3" in text("bot", "results_local", "en", count=3)


def test_a_missing_key_in_thai_is_an_error(tmp_path: Path) -> None:
    shutil.copytree(TEXTS_DIR, tmp_path, dirs_exist_ok=True)
    bot = yaml.safe_load((tmp_path / "bot.yml").read_text("utf-8"))
    del bot["texts"]["goodbye"]["th"]
    (tmp_path / "bot.yml").write_text(yaml.safe_dump(bot, allow_unicode=True), "utf-8")
    with pytest.raises(CatalogueError, match="goodbye"):
        load_catalogue(tmp_path)


def test_numbers_in_texts_are_shipped_hotlines_and_1191_appears_nowhere() -> None:
    hotlines = yaml.safe_load((DATA_DIR / "hotlines.yaml").read_text("utf-8"))
    shipped = {phone for s in hotlines["services"] for phone in s["phones"]}
    for path in [*CONTENT_DIR.rglob("*.yml")]:
        assert "1191" not in path.read_text("utf-8"), path
    for name, space in catalogue().namespaces.items():
        for key in space.texts:
            for lang in space.languages:
                for number in re.findall(r"(?<!\d)1\d{2,3}(?!\d)", text(name, key, lang)):
                    assert number in shipped, (name, key, lang, number)


# --- rights ------------------------------------------------------------------------------------

def test_every_required_rights_topic_has_both_languages_a_source_and_a_date() -> None:
    topics = load_rights()
    assert set(REQUIRED_TOPICS) <= set(topics)
    for topic in topics.values():
        assert topic.answer["th"] and topic.answer["en"] and topic.source
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", topic.last_reviewed)
        assert topic.verified or topic.note


def test_minimum_wage_answer_gives_no_invented_amount() -> None:
    answer = load_rights()["minimum_wage"]
    assert not answer.verified
    assert not re.search(r"\d{3} ?(baht|บาท)", answer.answer["en"] + answer.answer["th"])
    assert "1546" in answer.answer["en"]


@pytest.mark.parametrize(("question", "topic"), [
    ("นายจ้างยึดพาสปอร์ตของฉันไว้", "documents"),
    ("My boss keeps my passport", "documents"),
    ("ค่าแรงขั้นต่ำเท่าไหร่", "minimum_wage"),
    ("what is the minimum wage", "minimum_wage"),
    ("ทำงานวันละกี่ชั่วโมง", "working_hours"),
    ("Do I get a day off every week?", "working_hours"),
    ("ต้องจ่ายค่าหัวคิวไหม", "recruitment_fees"),
    ("Is it legal to charge a recruitment fee?", "recruitment_fees"),
    ("อยากเปลี่ยนนายจ้าง", "changing_employer"),
    ("Can I change employer?", "changing_employer"),
    ("ลาป่วยได้ไหม", "sick_leave"),
    ("How many days of sick leave?", "sick_leave"),
    ("ถูกเลิกจ้างได้ค่าชดเชยไหม", "severance"),
    ("I was fired, do I get severance?", "severance"),
    ("จะร้องเรียนนายจ้างได้ที่ไหน", "how_to_complain"),
    ("Where can I complain?", "how_to_complain"),
])
def test_questions_find_their_topic(question: str, topic: str) -> None:
    found = find_topic(question)
    assert found is not None and found.topic == topic


def test_unknown_question_finds_no_topic() -> None:
    assert find_topic("Can I bring my dog to Thailand?") is None
    assert find_topic("") is None


def test_unverified_rights_answer_without_note_is_rejected(tmp_path: Path) -> None:
    data = yaml.safe_load((CONTENT_DIR / "rights.yml").read_text("utf-8"))
    del data["topics"]["minimum_wage"]["note"]
    path = tmp_path / "rights.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(RightsError, match="minimum_wage"):
        load_rights.__wrapped__(path)


def test_a_hotline_number_written_into_a_rights_answer_is_rejected(tmp_path: Path) -> None:
    data = yaml.safe_load((CONTENT_DIR / "rights.yml").read_text("utf-8"))
    assert "{hotline_labour}" in data["topics"]["minimum_wage"]["answer"]["en"]
    data["topics"]["minimum_wage"]["answer"]["en"] = "Ask the hotline 1546."
    path = tmp_path / "rights.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(RightsError, match=r"minimum_wage.*1546"):
        load_rights.__wrapped__(path)


# --- emergency keywords ------------------------------------------------------------------------

@pytest.mark.parametrize("message", [
    "Help, I am in DANGER",
    "they are beating me every day",
    "I can’t escape from the boat",
    "ช่วยด้วย นายจ้างขังไว้ในห้อง",
    "ถูกทำร้ายค่ะ",
    "ကယ်ပါ",
    "ខ្ញុំមានគ្រោះថ្នាក់",
    "ຊ່ວຍແດ່ ຂ້ອຍຢູ່ໃນອັນຕະລາຍ",
])
def test_emergency_keywords_fire_in_all_five_languages(message: str) -> None:
    assert load_matcher().match(message) is not None


@pytest.mark.parametrize("message", [
    "I need a shelter in Chiang Mai",
    "หาที่พักในเชียงใหม่",
    "what is the minimum wage",
    "endangered species",
    "is there an emergency shelter in Bangkok",
    "no, I am not in danger now",
    "my boss says he will call the police if I quit",
    "ขอเบอร์ฉุกเฉินสำหรับแรงงานต่างด้าว",
    "หาบ้านพักฉุกเฉินที่ระยอง",
    "",
])
def test_ordinary_messages_do_not_fire(message: str) -> None:
    assert load_matcher().match(message) is None


@pytest.mark.parametrize(("message", "keyword"), [
    ("emergency shelter? no time, they are beating me", "beating me"),
    ("not in danger? he has a gun outside", "gun"),
    ("อยู่บ้านพักฉุกเฉินแล้ว แต่เขาถือปืนมาหน้าบ้าน", "ถือปืน"),
])
def test_an_exception_phrase_masks_only_itself(message: str, keyword: str) -> None:
    assert load_matcher().match(message) == keyword


def test_exceptions_must_be_phrases() -> None:
    data = yaml.safe_load((CONTENT_DIR / "emergency_keywords.yml").read_text("utf-8"))
    data["languages"]["en"]["not_when"] = ["emergency shelter", ""]
    with pytest.raises(KeywordsError, match="exceptions for 'en'"):
        build_matcher(data)


def test_every_language_needs_keywords() -> None:
    data = yaml.safe_load((CONTENT_DIR / "emergency_keywords.yml").read_text("utf-8"))
    data["languages"]["km"]["keywords"] = []
    with pytest.raises(KeywordsError, match="km"):
        build_matcher(data)


def test_emergency_safety_net_runs_last_in_the_nlu_pipeline() -> None:
    """The keyword override must come after every classifier, or a later one could undo it."""
    import yaml

    from saphan.paths import BOT_DIR

    config = yaml.safe_load((BOT_DIR / "config.yml").read_text(encoding="utf-8"))
    names = [component["name"] for component in config["pipeline"]]
    assert names[-1] == "saphan_nlu.emergency_keywords.EmergencyKeywords"
