"""User-facing texts per language (`content/texts/<lang>.yml`), validated at load.

Thai and English hold every key (and the same keys); Myanmar, Khmer and Lao hold the short
texts of the other-language flow (machine drafts, `review: true`); a key missing there is
answered in English.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from content import CONTENT_DIR

TEXTS_DIR = CONTENT_DIR / "texts"
FULL_LANGUAGES = ("th", "en")
SHORT_LANGUAGES = ("my", "km", "lo")
LANGUAGES = FULL_LANGUAGES + SHORT_LANGUAGES
DEFAULT_LANGUAGE = "th"
SHORT_KEYS = ("emergency", "ask_safe_now", "other_language", "language_set")


class TextsError(ValueError):
    """A texts file is missing, malformed, or lacks keys."""


def _read(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise TextsError(f"{path}: missing")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts = data.get("texts")
    if not isinstance(texts, dict) or not data.get("last_reviewed") or "review" not in data:
        raise TextsError(f"{path}: needs 'texts', 'review' and 'last_reviewed'")
    bad = [k for k, v in texts.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise TextsError(f"{path}: empty texts {bad}")
    return texts


@lru_cache
def load_texts(directory: Path = TEXTS_DIR) -> dict[str, dict[str, str]]:
    """All texts by language; raises `TextsError` when a file breaks the rules above."""
    texts = {lang: _read(directory / f"{lang}.yml") for lang in LANGUAGES}
    th, en = set(texts["th"]), set(texts["en"])
    if th != en:
        raise TextsError(f"th/en keys differ: {sorted(th ^ en)}")
    for lang in SHORT_LANGUAGES:
        missing = [k for k in SHORT_KEYS if k not in texts[lang]]
        unknown = set(texts[lang]) - en
        if missing or unknown:
            raise TextsError(f"{lang}.yml: missing {missing}, unknown {sorted(unknown)}")
    return texts


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str | None, **values: object) -> str:
    """The text `key` in `language` (Thai when unknown; English when a short language lacks it)."""
    texts = load_texts()
    lang = language_or_default(language)
    template = texts[lang].get(key) or texts["en"].get(key)
    if template is None:
        raise KeyError(f"no text {key!r}")
    return template.format(**values) if values else template
