"""Translator round trip of the text catalogue: one CSV file per language (standard library
`csv`, UTF-8, opens in any spreadsheet or CAT tool), `saphan texts export|import`.

Columns: namespace, key, language, english, thai, text, placeholders, review_state,
reviewed_by, reviewed_on. A translator edits `text` and, once a native speaker has checked
it, sets review_state to `reviewed` with their name and the date. Import writes only what the
file says: a changed text, and a review record when the row gives one (`reviewed` needs a name
and a date); a changed text without one becomes a `draft` (never `reviewed` by default).

Import checks everything before writing anything: unknown namespace, key or language, an
English-only key, an empty text, placeholders that differ from the Thai/English ones, and
then the whole catalogue as changed (hotline numbers written into texts, …) is loaded from a
scratch copy with the normal loader. On any error nothing is written and every problem is
listed with its row number. The YAML files are edited line by line (one `<lang>: "…"` line and
one `review_<lang>: {…}` line per text), so their comments and layout stay as they are.

The know-your-rights answers (`content/rights.yml`) come in the same file, namespace
`rights`, key = topic: the answer's `<lang>:` line under the topic's `answer:` and a
`review_<lang>:` line in the topic (overriding the file-wide `review_by_language`) are
written the same way, and the changed file is checked with `content.rights.read_rights`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from content.catalogue import (
    ALL,
    DATE,
    PERSON_NAMESPACES,
    REVIEW_STATES,
    TEXTS_DIR,
    CatalogueError,
    Namespace,
    load_catalogue,
    placeholders,
)
from content.rights import RIGHTS_FILE, RIGHTS_LANGUAGES, RightsError, answer_sources, read_rights
from saphan.csv_safe import SafeWriter, restore

COLUMNS = ("namespace", "key", "language", "english", "thai", "text", "placeholders",
           "review_state", "reviewed_by", "reviewed_on")
FORMATS = ("csv",)
#: The namespace of the know-your-rights answers in a translation file.
RIGHTS = "rights"


class TranslationError(ValueError):
    """The file cannot be imported; the message lists every problem found."""


@dataclass(frozen=True)
class ImportReport:
    changed: int  # texts whose wording changed
    reviewed: int  # texts marked reviewed by the file
    unchanged: int


def export_csv(language: str, directory: Path = TEXTS_DIR,
               namespaces: tuple[str, ...] = PERSON_NAMESPACES,
               rights_file: Path | None = RIGHTS_FILE) -> str:
    """Every text of `language` that translators own (not English-only, not one text for
    everybody), then every rights answer, with the English and Thai source and its review
    record."""
    loaded = load_catalogue(directory)
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")  # cells never run as spreadsheet formulas
    writer.writerow(COLUMNS)
    for name in namespaces:
        space = loaded.namespace(name)
        if language not in space.required:
            raise TranslationError(f"namespace {name} has no language {language!r}")
        for key, by_language in space.texts.items():
            if ALL in by_language or key in space.english_only:
                continue
            record = space.reviews.get((key, language))
            writer.writerow([
                name, key, language, by_language.get("en", ""), by_language.get("th", ""),
                by_language.get(language, ""),
                " ".join(sorted(placeholders(by_language["en"]))),
                record.state if record else "", record.by if record else "",
                record.date if record else ""])
    if rights_file is not None and language in RIGHTS_LANGUAGES:
        for topic, (answer, records) in answer_sources(rights_file).items():
            record = records.get(language)
            writer.writerow([
                RIGHTS, topic, language, answer.get("en", ""), answer.get("th", ""),
                answer.get(language, ""), " ".join(sorted(placeholders(answer["en"]))),
                record.state if record else "", record.by if record else "",
                record.date if record else ""])
    return out.getvalue()


def _rows(source: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(source.lstrip("\ufeff")))
    missing = [c for c in ("namespace", "key", "language", "text") if c not in
               (reader.fieldnames or [])]
    if missing:
        raise TranslationError(f"not a Saphan translation file: missing column(s) {missing}")
    return [{k: restore(v or "").strip() if k != "text" else restore(v or "")
             for k, v in row.items() if k} for row in reader]


def _sources(row: dict[str, str], spaces: dict[str, Namespace],
             rights: dict[str, dict[str, str]]) -> str | dict[str, str]:
    """The texts (by language) the row translates, or why it cannot be imported."""
    name, key, lang = row["namespace"], row["key"], row["language"]
    if name == RIGHTS:
        if key not in rights:
            return f"unknown key {name}.{key}"
        if lang not in RIGHTS_LANGUAGES:
            return f"namespace {name} has no language {lang!r}"
        return rights[key]
    space = spaces.get(name)
    if space is None:
        return f"unknown namespace {name!r}"
    if key not in space.texts:
        return f"unknown key {name}.{key}"
    if lang not in space.required:
        return f"namespace {name} has no language {lang!r}"
    if ALL in space.texts[key] or (key in space.english_only and lang not in ("th", "en")):
        return f"{name}.{key} is not translated per language"
    return space.texts[key]


def _check_row(row: dict[str, str], spaces: dict[str, Namespace],
               rights: dict[str, dict[str, str]]) -> str | None:
    value = row["text"]
    sources = _sources(row, spaces, rights)
    if isinstance(sources, str):
        return sources
    if not value.strip():
        return "empty text"
    if "\n" in value.strip():
        return "a text is one line (LINE shows it as written)"
    try:
        found = placeholders(value)
    except ValueError as error:
        return f"bad braces: {error}"
    wanted = placeholders(sources["en"])
    if found != wanted:
        return f"placeholders {sorted(found)} differ from the source's {sorted(wanted)}"
    state = row.get("review_state", "")
    if state and state not in REVIEW_STATES:
        return f"review_state must be one of {REVIEW_STATES} or empty"
    if state == "reviewed" and (not row.get("reviewed_by")
                                or not DATE.fullmatch(row.get("reviewed_on", ""))):
        return "reviewed needs reviewed_by and reviewed_on (YYYY-MM-DD)"
    return None


def _set_line(lines: list[str], key: str, field_name: str, value: str) -> None:
    """Replace `    field_name: …` inside the block of text `key`, or add it at its end."""
    start = lines.index(f"  {key}:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    new = f"    {field_name}: {value}"
    for n in range(start + 1, end):
        if re.match(rf"^    {re.escape(field_name)}:", lines[n]):
            lines[n] = new
            return
    lines.insert(end, new)


def _set_answer(lines: list[str], topic: str, lang: str, value: str) -> None:
    """Replace the `      <lang>: …` line under the `answer:` of rights topic `topic`."""
    n = lines.index("    answer:", lines.index(f"  {topic}:")) + 1
    while not lines[n].startswith(f"      {lang}:"):
        n += 1
    lines[n] = f"      {lang}: {value}"


def import_csv(source: str, directory: Path = TEXTS_DIR, today: date | None = None,
               dry_run: bool = False, rights_file: Path = RIGHTS_FILE) -> ImportReport:
    """Apply a translation file to the catalogue in `directory` and the rights answers in
    `rights_file` (see the module docstring)."""
    spaces = load_catalogue(directory).namespaces
    rights = answer_sources(rights_file)
    rows = _rows(source)
    problems = [f"row {n}: {problem}" for n, row in enumerate(rows, start=2)
                if (problem := _check_row(row, spaces, {t: a for t, (a, _) in rights.items()}))]
    if problems:
        raise TranslationError("nothing imported:\n" + "\n".join(problems))
    targets = {name: directory / f"{name}.yml" for name in spaces} | {RIGHTS: rights_file}
    files: dict[str, list[str]] = {}
    changed = reviewed = unchanged = 0
    stamp = (today or date.today()).isoformat()
    for row in rows:
        name, key, lang, value = row["namespace"], row["key"], row["language"], row["text"]
        value = value.strip()
        lines = files.setdefault(name, targets[name].read_text(encoding="utf-8").split("\n"))
        state = row.get("review_state", "")
        if name == RIGHTS:
            current, record = rights[key][0].get(lang), rights[key][1].get(lang)
        else:
            current, record = spaces[name].texts[key].get(lang), spaces[name].reviews.get(
                (key, lang))
        text_changed = value != current
        if text_changed:
            quoted = json.dumps(value, ensure_ascii=False)
            if name == RIGHTS:
                _set_answer(lines, key, lang, quoted)
            else:
                _set_line(lines, key, lang, quoted)
        if state == "reviewed":
            new_record = (state, row["reviewed_by"], row["reviewed_on"])
        elif text_changed:
            new_record = ("draft", row.get("reviewed_by") or "translator (imported)", stamp)
        else:
            new_record = None
        if new_record and (record is None or (record.state, record.by, record.date)
                           != new_record):
            _set_line(lines, key, f"review_{lang}",
                      f"{{state: {new_record[0]}, by: {json.dumps(new_record[1])}, "
                      f"date: \"{new_record[2]}\"}}")
            reviewed += new_record[0] == "reviewed"
        changed += text_changed
        unchanged += not text_changed and not new_record
    _check_written(directory, {name: lines for name, lines in files.items() if name != RIGHTS},
                   files.get(RIGHTS))
    if not dry_run:
        for name, lines in files.items():
            partial = targets[name].with_suffix(".yml.importing")
            partial.write_text("\n".join(lines), encoding="utf-8")
            partial.replace(targets[name])
    return ImportReport(changed, reviewed, unchanged)


def _check_written(directory: Path, texts: dict[str, list[str]],
                   rights: list[str] | None) -> None:
    """Load the changed catalogue and rights file from a scratch copy with the normal loaders."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "texts"
        shutil.copytree(directory, copy)
        for name, lines in texts.items():
            (copy / f"{name}.yml").write_text("\n".join(lines), encoding="utf-8")
        try:
            load_catalogue(copy)
            if rights is not None:
                rights_copy = Path(scratch) / "rights.yml"
                rights_copy.write_text("\n".join(rights), encoding="utf-8")
                read_rights(rights_copy)
        except (CatalogueError, RightsError) as error:
            raise TranslationError(f"nothing imported: {error}") from None
