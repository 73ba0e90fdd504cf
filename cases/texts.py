"""Texts of the case flow (cases/texts.yml): user messages per language, caseworker alerts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

TEXTS_FILE = Path(__file__).resolve().parent / "texts.yml"


@lru_cache
def _load() -> dict:
    data = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    for key, per_language in data["user"].items():
        if not {"th", "en"} <= set(per_language):
            raise ValueError(f"{TEXTS_FILE}: user text {key!r} needs th and en")
    return data


def user_text(key: str, language: str | None) -> str:
    per_language = _load()["user"][key]
    return per_language.get(language or "th") or per_language["th"]


def caseworker_text(key: str, **values: object) -> str:
    return _load()["caseworker"][key].format(**values)
