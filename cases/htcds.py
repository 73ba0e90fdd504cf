"""HTCDS field names and picklists (`cas_` fields, `org_Name`) from htcds_case_fields.md."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "htcds_case_fields.md"


@dataclass(frozen=True)
class Field:
    prefix: str
    name: str
    label: str
    type: str
    values: tuple[str, ...]

    @property
    def column(self) -> str:
        """The export column name, e.g. `cas_Status`."""
        return f"{self.prefix}{self.name}"


def parse_fields(markdown: str) -> dict[str, Field]:
    """Every table row whose header has "Field Name" and "Value Names", by column name."""
    fields: dict[str, Field] = {}
    header: list[str] | None = None
    for line in markdown.splitlines():
        if not line.strip().startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "Field Name" in cells and "Field Name Prefix" in cells:
            header = cells
            continue
        if header is None or set(cells[0]) <= {"-", ":", " "}:
            continue
        row = dict(zip(header, cells, strict=False))
        values = row.get("Value Names (if picklist)", "").replace("<br/>", " ").split()
        field = Field(row["Field Name Prefix"], row["Field Name"], row["Field Label"],
                      row["Field Type"], tuple(values))
        fields[field.column] = field
    return fields


@lru_cache
def case_fields() -> dict[str, Field]:
    return parse_fields(REFERENCE.read_text(encoding="utf-8"))


def picklist(column: str) -> tuple[str, ...]:
    """The value names of a picklist field, e.g. `picklist("cas_Status")`."""
    return case_fields()[column].values
