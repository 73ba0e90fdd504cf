"""The screening conversation's texts (catalogue namespace `screening`) and steering commands."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from content.catalogue import TEXTS_DIR, CatalogueError, catalogue, load_catalogue, text
from saphan.paths import ROOT
from screening.commands import default_commands, load_commands
from screening.errors import ScreeningDataError

HOTLINES = ROOT / "referral_directory" / "data" / "hotlines.yaml"
VERDICT = re.compile(r"\b(is|are) (a )?victims?\b|\bconfirmed\b|\bidentified as\b", re.I)
ACTION_FILES = sorted((ROOT / "actions").glob("screening_*.py"))


def screening_keys() -> set[str]:
    return set(catalogue().namespace("screening").texts)


def test_every_key_the_screening_actions_use_exists() -> None:
    source = "\n".join(p.read_text("utf-8") for p in ACTION_FILES)
    used = set(re.findall(r'tell\(dispatcher, "([a-z0-9_]+)"', source))
    used |= set(re.findall(r'button\("([a-z0-9_]+)"', source))
    used |= set(re.findall(r'catalogue_text\(["\']screening["\'], ["\']([a-z0-9_]+)["\']', source))
    assert len(used) > 15
    assert used <= screening_keys(), used - screening_keys()


def test_phone_numbers_are_directory_hotlines_and_no_text_is_a_verdict() -> None:
    directory = yaml.safe_load(HOTLINES.read_text(encoding="utf-8"))
    phones = {p for service in directory["services"] for p in service["phones"]}
    found: set[str] = set()
    for key in screening_keys():
        for lang in ("en", "th"):
            shown = text("screening", key, lang)
            numbers = set(re.findall(r"(?<![\d-])\d{3,5}(?![\d-])", shown))
            assert numbers <= phones, (key, lang, numbers - phones)
            found |= numbers
            assert not VERDICT.search(shown) and "เป็นผู้เสียหาย" not in shown
    assert "1300" in found


def test_commands_are_recognised_in_both_languages() -> None:
    commands = default_commands()
    assert commands.command(" Back ") == "back" and commands.command("ย้อนกลับ") == "back"
    assert commands.command("พัก") == "pause" and commands.command("yes") is None


def test_a_text_missing_thai_fails_with_the_file_name(tmp_path: Path) -> None:
    shutil.copytree(TEXTS_DIR, tmp_path, dirs_exist_ok=True)
    data = yaml.safe_load((tmp_path / "screening.yml").read_text("utf-8"))
    del data["texts"]["paused"]["th"]
    (tmp_path / "screening.yml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(CatalogueError, match=r"screening\.yml.*paused"):
        load_catalogue(tmp_path)


def test_a_command_without_words_fails_with_the_file_name(tmp_path: Path) -> None:
    bad = tmp_path / "commands.yml"
    bad.write_text("back: [back]\npause: []\nperson: [person]\ncancel: [cancel]\n", "utf-8")
    with pytest.raises(ScreeningDataError, match=r"commands\.yml"):
        load_commands(bad)
