"""Errors raised by the screening package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError


class ScreeningDataError(ValueError):
    """A screening data file is missing, unreadable or invalid (message names file and place)."""


def _place(raw: Any, loc: tuple[Any, ...]) -> str:
    """Render a pydantic error location, naming list entries by their `id` when they have one."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
            ident = node.get("id") if isinstance(node, dict) else None
            parts.append(f"[{key}] (id {ident!r})" if ident is not None else f"[{key}]")
            continue
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(f".{key}" if parts else str(key))
    return "".join(parts)


def data_error(path: Path, raw: Any, error: ValidationError) -> ScreeningDataError:
    """Turn a pydantic ValidationError into one clear message naming file, item and field."""
    lines = [f"{path}: invalid screening data ({error.error_count()} problem(s)):"]
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        place = _place(raw, tuple(problem["loc"]))
        lines.append(f"  - {place}: {message}" if place else f"  - {message}")
    return ScreeningDataError("\n".join(lines))
