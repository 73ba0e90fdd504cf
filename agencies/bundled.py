"""The bundled example agencies (`data/examples.yml`) and agency files in general (`saphan
agency import`). Examples exist so a newcomer can try the NRM path locally; they are loaded
outside production only (cli/bootstrap.py) and routing never picks them in production."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from agencies.store import AgencyError, AgencyIn, upsert

EXAMPLES_FILE = Path(__file__).resolve().parent / "data" / "examples.yml"


@dataclass(frozen=True)
class LoadReport:
    created: int
    updated: int

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated"


def read_agencies(path: Path, examples: bool = False) -> list[AgencyIn]:
    """The validated agencies of a YAML file (`agencies: [{code, name_th, ...}]`); errors name
    the file and the item. `examples`: every row must be `example: true` with `source` and
    `reviewed_on`."""
    where = path.name
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AgencyError(f"{where}: cannot read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("agencies"), list):
        raise AgencyError(f"{where}: expected a key `agencies` with a list of agencies")
    rows: list[AgencyIn] = []
    seen: set[str] = set()
    for i, item in enumerate(data["agencies"], start=1):
        label = f"{where}: agency {i}" + (
            f" ({item.get('code')})" if isinstance(item, dict) and item.get("code") else "")
        row = AgencyIn.from_mapping(item, label)
        if examples and not (row.example and row.source and row.reviewed_on):
            raise AgencyError(f"{label}: a bundled example needs example: true, source and "
                              f"reviewed_on")
        if row.code in seen:
            raise AgencyError(f"{label}: code {row.code!r} appears twice")
        seen.add(row.code)
        rows.append(row)
    return rows


def import_agencies(session: Session, rows: list[AgencyIn]) -> LoadReport:
    """Create or update each agency by code in the caller's transaction."""
    created = sum(upsert(session, row)[1] for row in rows)
    return LoadReport(created, len(rows) - created)


def load_examples(session: Session) -> LoadReport:
    """Create or update the bundled examples (idempotent, by code; other agencies untouched)."""
    return import_agencies(session, read_agencies(EXAMPLES_FILE, examples=True))
