"""The gateway's own texts (fallback, welcome, "please type") from `gateway/texts/messages.yml`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

TEXTS_FILE = Path(__file__).resolve().parent / "texts" / "messages.yml"
LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"
REQUEST_HUMAN_PAYLOAD = "/request_human"
LANGUAGE_POSTBACK_PREFIX = "lang="


class TextsError(ValueError):
    """The texts file is missing a key or a language."""


@lru_cache
def _load() -> dict:
    data = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    if not data.get("source"):
        raise TextsError(f"{TEXTS_FILE}: 'source' is required")
    for key, by_lang in data["texts"].items():
        missing = [lang for lang in LANGUAGES if not by_lang.get(lang)]
        if missing:
            raise TextsError(f"{TEXTS_FILE}: text {key!r} lacks {missing}")
    return data


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def emergency_numbers() -> list[str]:
    return [item["number"] for item in _load()["emergency_numbers"]]


def text(key: str, language: str | None) -> str:
    """The text `key` in `language` (Thai when unknown), with `{numbers}` filled in."""
    lang = language_or_default(language)
    numbers = ", ".join(
        f"{item['number']} ({item['label'][lang]})" for item in _load()["emergency_numbers"]
    )
    return _load()["texts"][key][lang].format(numbers=numbers)


def language_names() -> dict[str, str]:
    return dict(_load()["languages"])
