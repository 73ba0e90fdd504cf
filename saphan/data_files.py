"""Reading the project's data files (YAML validated with pydantic) with errors that name the
file, the item and the field: one reader and one error wording for every package's data
(screening questionnaire and rules, the NRM pathway, ...). Each package passes its own error
class so callers still catch what they know."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when available
#: Keys that name a list entry in error messages, in order of preference.
NAME_KEYS = ("id", "to", "name")


def read_yaml(path: Path, error: type[Exception], what: str) -> Any:
    """Parse a YAML file; any failure is `error` naming the file and `what` it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} file: {exc}") from exc
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def place(raw: Any, loc: tuple[Any, ...]) -> str:
    """A pydantic error location in the raw data, naming list entries by their id, to or name
    (e.g. `items[1] (id 'dr_wages').strength`)."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            named = next((k for k in NAME_KEYS if isinstance(node, dict) and node.get(k)), None)
            parts.append(f"[{key}] ({named} {node[named]!r})" if named else f"[{key}]")
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(f".{key}" if parts else str(key))
    return "".join(parts)


def validation_message(path: Path, what: str, raw: Any, exc: ValidationError) -> str:
    """Every problem of a ValidationError on one line each, with its place in the file."""
    lines = [f"{path}: invalid {what} ({exc.error_count()} problem(s)):"]
    for problem in exc.errors():
        message = re.sub(r"^Value error, ", "", problem["msg"])
        where = place(raw, tuple(problem["loc"]))
        lines.append(f"  - {where}: {message}" if where else f"  - {message}")
    return "\n".join(lines)
