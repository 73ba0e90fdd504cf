"""`saphan texts export|import`: the translator round trip (CSV) on a copy of the catalogue,
through the real command line."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from content.catalogue import TEXTS_DIR, load_catalogue
from content.rights import RIGHTS_FILE, load_rights, read_rights


@pytest.fixture
def texts_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "texts"
    shutil.copytree(TEXTS_DIR, copy)
    return copy


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["texts", *args])
    return result.exit_code, result.output


def export(texts_dir: Path, language: str, *more: str) -> list[dict[str, str]]:
    code, output = run("export", "--language", language, "--texts-dir", str(texts_dir), *more)
    assert code == 0, output
    return list(csv.DictReader(io.StringIO(output)))


def write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "back.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def snapshot(texts_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(texts_dir.iterdir())}


def test_export_lists_every_person_facing_text_with_its_source_and_review(
        texts_dir: Path) -> None:
    rows = export(texts_dir, "km")
    keys = {(r["namespace"], r["key"]) for r in rows}
    assert ("bot", "emergency") in keys and ("gateway", "welcome") in keys
    assert ("cases", "reply_coming") in keys
    assert ("gateway", "menu_officer_emergency") not in keys  # English-only
    assert ("cases", "new_case") not in keys  # one text for everybody
    emergency = next(r for r in rows if r["key"] == "emergency")
    assert emergency["placeholders"] == "hotline_police hotline_social"
    assert emergency["english"].startswith("If you are in danger")
    assert all(r["review_state"] == "machine_draft" and r["text"] for r in rows)


def test_an_unchanged_file_round_trips_without_touching_anything(tmp_path: Path,
                                                                 texts_dir: Path) -> None:
    before = snapshot(texts_dir)
    code, output = run("import", str(write(tmp_path, export(texts_dir, "lo"))),
                       "--texts-dir", str(texts_dir))
    assert code == 0, output
    assert "changed 0 text(s); marked 0 reviewed" in output
    assert snapshot(texts_dir) == before


def test_import_changes_texts_and_marks_reviewed_only_when_the_file_says_so(
        tmp_path: Path, texts_dir: Path) -> None:
    rows = export(texts_dir, "my")
    by_key = {r["key"]: r for r in rows}
    by_key["thanks"].update(text="ရပါတယ်ခင်ဗျာ။ တခြား ကူညီစရာ ရှိသေးလား။",
                            review_state="reviewed", reviewed_by="Ma Thida",
                            reviewed_on="2026-12-08")
    by_key["goodbye"]["text"] = "ဂရုစိုက်ပါနော်။ အန္တရာယ်ရှိရင် {hotline_police} {hotline_social}"
    by_key["btn_yes"].update(review_state="reviewed", reviewed_by="Ma Thida",
                             reviewed_on="2026-12-08")  # checked, wording kept
    code, output = run("import", str(write(tmp_path, rows)), "--texts-dir", str(texts_dir))
    assert code == 0, output
    assert "changed 2 text(s); marked 2 reviewed" in output

    bot = load_catalogue(texts_dir).namespace("bot")
    assert bot.texts["thanks"]["my"] == "ရပါတယ်ခင်ဗျာ။ တခြား ကူညီစရာ ရှိသေးလား။"
    assert bot.reviews[("thanks", "my")].state == "reviewed"
    assert bot.reviews[("thanks", "my")].by == "Ma Thida"
    assert bot.reviews[("btn_yes", "my")].date == "2026-12-08"
    assert bot.reviews[("goodbye", "my")].state == "draft"  # changed, nobody said reviewed
    assert bot.reviews[("goodbye", "km")].state == "machine_draft"  # other languages as were
    assert bot.reviews[("thanks", "th")].state == "reviewed"
    assert "# Texts of the migrant conversations" in (texts_dir / "bot.yml").read_text("utf-8")
    again = export(texts_dir, "my")  # what was imported comes out again
    assert {r["key"]: r["text"] for r in again}["thanks"] == by_key["thanks"]["text"]


@pytest.mark.parametrize(("key", "change", "error"), [
    ("emergency", {"text": "ကယ်ပါ {hotline_police}"}, "placeholders"),
    ("thanks", {"text": "  "}, "empty text"),
    ("thanks", {"key": "no_such_key"}, "unknown key bot.no_such_key"),
    ("thanks", {"language": "xx"}, "has no language 'xx'"),
    ("thanks", {"review_state": "reviewed", "reviewed_by": ""}, "reviewed needs reviewed_by"),
    ("goodbye", {"text": "ဂရုစိုက်ပါ 191 {hotline_police} {hotline_social}"}, "hotline number"),
])
def test_a_bad_row_imports_nothing_and_says_which_row(tmp_path: Path, texts_dir: Path,
                                                       key: str, change: dict[str, str],
                                                       error: str) -> None:
    rows = export(texts_dir, "my")
    good = next(r for r in rows if r["key"] == "btn_no")
    good["text"] = "မဟုတ်ဘူး"  # a good change in the same file is not written either
    bad = next(r for r in rows if r["key"] == key)
    bad.update(change)
    before = snapshot(texts_dir)
    code, output = run("import", str(write(tmp_path, rows)), "--texts-dir", str(texts_dir))
    assert code == 1 and "nothing imported" in output and error in output
    if "hotline" not in error:
        assert f"row {rows.index(bad) + 2}:" in output
    assert snapshot(texts_dir) == before


def test_export_refuses_an_unknown_format_or_language(texts_dir: Path) -> None:
    assert run("export", "--language", "my", "--format", "xliff")[0] == 2
    assert run("export", "--language", "xx")[0] == 2


@pytest.fixture
def rights_file(tmp_path: Path) -> Path:
    copy = tmp_path / "rights.yml"
    shutil.copy(RIGHTS_FILE, copy)
    return copy


def test_rights_answers_round_trip_with_their_review_state(
        tmp_path: Path, texts_dir: Path, rights_file: Path) -> None:
    where = ("--texts-dir", str(texts_dir), "--rights-file", str(rights_file))
    code, output = run("export", "--language", "lo", *where)
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    rights = {r["key"]: r for r in rows if r["namespace"] == "rights"}
    assert set(rights) == set(load_rights(RIGHTS_FILE))  # every topic, after the texts
    assert rights["minimum_wage"]["placeholders"] == "hotline_labour"
    assert rights["documents"]["english"].startswith("Your employer or agent may not keep")
    assert all(r["review_state"] == "machine_draft" for r in rights.values())

    before = rights_file.read_text("utf-8")
    code, output = run("import", str(write(tmp_path, rows)), *where)  # unchanged: no write
    assert code == 0 and "changed 0 text(s); marked 0 reviewed" in output, output
    assert rights_file.read_text("utf-8") == before

    rights["documents"].update(review_state="reviewed", reviewed_by="Khamla",
                               reviewed_on="2026-12-08")  # checked, wording kept
    new_wage = rights["minimum_wage"]["text"].replace("ນາຍຈ້າງຕ້ອງຈ່າຍ", "ນາຍຈ້າງຕ້ອງຈ່າຍເງິນ")
    rights["minimum_wage"]["text"] = new_wage  # reworded, not yet reviewed
    code, output = run("import", str(write(tmp_path, rows)), *where)
    assert code == 0, output
    assert "changed 1 text(s); marked 1 reviewed" in output

    topics = read_rights(rights_file)
    assert topics["documents"].review["lo"] == "reviewed"
    assert topics["documents"].review["km"] == "machine_draft"  # other languages as were
    assert topics["minimum_wage"].review["lo"] == "draft"
    assert topics["working_hours"].review["lo"] == "machine_draft"  # other topics as were
    assert topics["minimum_wage"].answer["lo"].startswith("ນາຍຈ້າງຕ້ອງຈ່າຍເງິນ")
    assert "{hotline_labour}" not in topics["minimum_wage"].answer["lo"]  # filled as before
    assert "# Know-your-rights answers" in rights_file.read_text("utf-8")  # comments kept
    again = {r["key"]: r for r in export(texts_dir, "lo", "--rights-file", str(rights_file))
             if r["namespace"] == "rights"}
    assert again["minimum_wage"]["text"] == new_wage
    assert (again["documents"]["review_state"], again["documents"]["reviewed_by"]) == (
        "reviewed", "Khamla")


@pytest.mark.parametrize(("change", "error"), [
    ({"text": "ນາຍຈ້າງຕ້ອງຈ່າຍຄ່າແຮງ"}, "placeholders"),  # {hotline_labour} lost
    ({"key": "no_such_topic"}, "unknown key rights.no_such_topic"),
    ({"text": "ໂທ 1546 {hotline_labour}"}, "hotline number"),
])
def test_a_bad_rights_row_imports_nothing(tmp_path: Path, texts_dir: Path, rights_file: Path,
                                          change: dict[str, str], error: str) -> None:
    where = ("--texts-dir", str(texts_dir), "--rights-file", str(rights_file))
    rows = export(texts_dir, "lo", "--rights-file", str(rights_file))
    next(r for r in rows if r["key"] == "minimum_wage").update(change)
    before = rights_file.read_text("utf-8")
    code, output = run("import", str(write(tmp_path, rows)), *where)
    assert code == 1 and "nothing imported" in output and error in output, output
    assert rights_file.read_text("utf-8") == before
