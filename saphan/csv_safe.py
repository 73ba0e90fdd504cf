"""CSV cells that a spreadsheet will not run as formulas (CSV/formula injection).

A text cell starting with `= + - @`, a tab or a carriage return is written with a leading
apostrophe (spreadsheets then show it as text). A cell that only looks neutralised (an
apostrophe before one of those) gets one more, so `restore` undoes exactly what was added and
an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"


def _needs_mark(text: str) -> bool:
    while text.startswith(MARK):
        text = text[1:]
    return text.startswith(TRIGGERS)


def neutralise(value: Any) -> Any:
    """`value` safe as a spreadsheet cell (only text can be a formula)."""
    if isinstance(value, str) and _needs_mark(value):
        return MARK + value
    return value


def restore(text: str) -> str:
    """The original of a cell `neutralise` wrote (for importing an exported file)."""
    if text.startswith(MARK) and _needs_mark(text[1:]):
        return text[1:]
    return text


class SafeWriter:
    """`csv.writer` whose rows are neutralised."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """`csv.DictWriter` whose values are neutralised."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: neutralise(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)
