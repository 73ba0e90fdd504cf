"""Reading directory files (CSV, YAML) into validated records, and writing CSV.

Every problem is reported with its row and field; nothing is returned unless the whole
file is valid, so a bad file can never be half-imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from referral_directory.records import CSV_COLUMNS, LIST_FIELDS, ServiceRecord, field_problems
from saphan.csv_safe import SafeDictWriter, restore


@dataclass(frozen=True)
class Problem:
    row: int  # CSV: line number (header = 1); YAML: position in the list (first = 1)
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, field {self.field}: {self.message}"


class DirectoryFileError(ValueError):
    """A directory file that cannot be imported; `problems` says where and why."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: {len(problems)} problem(s)\n{shown}{more}")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DirectoryFileError(
            str(path),
            [Problem(line, "(encoding)", f"not valid UTF-8 (byte {exc.start}); save as UTF-8")],
        ) from None


def _from_csv(text: str, path: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown or not header:
        raise DirectoryFileError(
            path, [Problem(1, c, "unknown column") for c in unknown] or [Problem(1, "", "empty")]
        )
    rows = []
    for raw in reader:
        if None in raw:
            raise DirectoryFileError(path, [Problem(reader.line_num, "", "too many values")])
        row: dict[str, Any] = {}
        for key, value in raw.items():
            value = restore(value or "").strip()  # undo the export's formula guard
            if key in LIST_FIELDS:
                row[key] = [v.strip() for v in value.split(";") if v.strip()]
            elif value:
                row[key] = value
        rows.append((reader.line_num, row))
    return rows


def _from_yaml(text: str, path: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise DirectoryFileError(path, [Problem(line, "(yaml)", str(exc))]) from None
    defaults: dict[str, Any] = {}
    if isinstance(data, dict):
        defaults = data.get("defaults") or {}
        data = data.get("services")
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise DirectoryFileError(path, [Problem(0, "services", "expected a list of entries")])
    return [(i, {**defaults, **entry}) for i, entry in enumerate(data, start=1)]


def read_records(path: Path | str) -> list[ServiceRecord]:
    """Parse and validate a .csv or .yaml/.yml file; raise DirectoryFileError on any problem."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise DirectoryFileError(str(path), [Problem(0, "(file)", "use a .csv or .yaml file")])
    text = _decode(path)
    rows = _from_csv(text, str(path)) if suffix == ".csv" else _from_yaml(text, str(path))
    problems: list[Problem] = []
    records: list[ServiceRecord] = []
    first_row: dict[str, int] = {}
    for row_no, row in rows:
        try:
            record = ServiceRecord.model_validate(row)
        except ValidationError as exc:
            problems += [Problem(row_no, field, message)
                         for field, message in field_problems(exc)]
            continue
        if record.id in first_row:
            problems.append(
                Problem(
                    row_no,
                    "id",
                    f"duplicate id {record.id!r} (first in row {first_row[record.id]})",
                )
            )
            continue
        first_row[record.id] = row_no
        records.append(record)
    if problems:
        raise DirectoryFileError(str(path), problems)
    return records


def write_csv(records: list[ServiceRecord], out: io.TextIOBase | Any) -> int:
    """Write records as CSV (the import format); return the number of rows."""
    writer = SafeDictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record.to_flat())
    return len(records)
