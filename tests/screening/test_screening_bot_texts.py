"""The screening conversation's texts: every key the actions use exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from saphan.paths import ROOT
from screening.bot_texts import default_bot_texts, load_bot_texts
from screening.errors import ScreeningDataError

HOTLINES = ROOT / "referral_directory" / "data" / "hotlines.yaml"
VERDICT = re.compile(r"\b(is|are) (a )?victims?\b|\bconfirmed\b|\bidentified as\b", re.I)
ACTION_FILES = sorted((ROOT / "actions").glob("screening_*.py"))


def test_every_key_the_screening_actions_use_exists() -> None:
    source = "\n".join(p.read_text("utf-8") for p in ACTION_FILES)
    used = set(re.findall(r'tell\(dispatcher, "([a-z0-9_]+)"', source))
    used |= set(re.findall(r'button\("([a-z0-9_]+)"', source))
    used |= set(re.findall(r'texts(?:\(\))?\.get\(["\']([a-z0-9_]+)["\']', source))
    assert len(used) > 15
    assert used <= set(default_bot_texts().texts), used - set(default_bot_texts().texts)


def test_phone_numbers_are_directory_hotlines_and_no_text_is_a_verdict() -> None:
    directory = yaml.safe_load(HOTLINES.read_text(encoding="utf-8"))
    phones = {p for service in directory["services"] for p in service["phones"]}
    found: set[str] = set()
    for key, text in default_bot_texts().texts.items():
        for lang in ("en", "th"):
            numbers = set(re.findall(r"(?<![\d-])\d{3,5}(?![\d-])", text.get(lang)))
            assert numbers <= phones, (key, lang, numbers - phones)
            found |= numbers
            assert not VERDICT.search(text.get(lang)) and "เป็นผู้เสียหาย" not in text.get(lang)
    assert "1300" in found


def test_commands_are_recognised_in_both_languages() -> None:
    commands = default_bot_texts().commands
    assert commands.command(" Back ") == "back" and commands.command("ย้อนกลับ") == "back"
    assert commands.command("พัก") == "pause" and commands.command("yes") is None


def test_a_text_missing_thai_fails_with_the_file_name(tmp_path: Path) -> None:
    bad = tmp_path / "bot_texts.yml"
    bad.write_text(
        'version: "1"\nlast_reviewed: "2026-11-23"\nreview: true\n'
        "commands: {back: [back], pause: [pause], person: [person], cancel: [cancel]}\n"
        "texts:\n  paused: {en: Paused}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScreeningDataError, match=r"bot_texts\.yml"):
        load_bot_texts(bad)
