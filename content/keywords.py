"""Emergency safety-net keywords (`emergency_keywords.yml`) and the matching rule.

Rasa-free so it is unit-tested in the app venv and used by the NLU component
`saphan_nlu.emergency_keywords.EmergencyKeywords` in the Rasa venv.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from content import CONTENT_DIR
from saphan.language import LANGUAGES

KEYWORDS_FILE = CONTENT_DIR / "emergency_keywords.yml"
REQUIRED_LANGUAGES = LANGUAGES
#: Languages written with spaces between words: keywords must match whole words.
SPACED = {"en"}


class KeywordsError(ValueError):
    """The keyword file is malformed."""


#: Lao letters typed either as one character or as two (ຫມ = ໝ, ຫນ = ໜ, ຫລ = ຫຼ; ໍາ = ຳ):
#: both spellings are common, so keywords and messages are compared in one of them.
LAO_SPELLINGS = (("\u0eab\u0ea1", "\u0edd"), ("\u0eab\u0e99", "\u0edc"),
                 ("\u0eab\u0ea5", "\u0eab\u0ebc"), ("\u0ecd\u0eb2", "\u0eb3"))


def normalise(text: str) -> str:
    """NFC, case-folded, curly apostrophes straightened, Lao spellings unified, whitespace
    collapsed."""
    text = unicodedata.normalize("NFC", text).casefold().replace("\u2019", "'")
    for two, one in LAO_SPELLINGS:
        text = text.replace(two, one)
    return " ".join(text.split())


@dataclass(frozen=True)
class KeywordMatcher:
    """Finds the first safety-net keyword in a message."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    #: Phrases in which a keyword does not count ("emergency shelter", "not in danger").
    exceptions: tuple[re.Pattern[str], ...] = ()

    def match(self, text: str | None) -> str | None:
        """The keyword found in `text` (as written in the file), or None."""
        if not text:
            return None
        clean = normalise(text)
        for exception in self.exceptions:
            clean = exception.sub(" | ", clean)
        for keyword, pattern in self.patterns:
            if pattern.search(clean):
                return keyword
        return None


def _pattern(keyword: str, spaced: bool) -> re.Pattern[str]:
    escaped = re.escape(normalise(keyword)).replace(r"\ ", r"\s+")
    return re.compile(rf"(?<!\w){escaped}(?!\w)" if spaced else escaped)


def build_matcher(data: dict) -> KeywordMatcher:
    """Validate the parsed YAML and compile it; raises `KeywordsError` when malformed."""
    if not isinstance(data, dict) or not data.get("source") or not data.get("last_reviewed"):
        raise KeywordsError("emergency keywords need 'source' and 'last_reviewed'")
    languages = data.get("languages") or {}
    patterns: list[tuple[str, re.Pattern[str]]] = []
    exceptions: list[re.Pattern[str]] = []
    for lang in REQUIRED_LANGUAGES:
        entry = languages.get(lang) or {}
        words = entry.get("keywords") or []
        if not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise KeywordsError(f"emergency keywords for {lang!r} are missing or empty")
        patterns.extend((w, _pattern(w, lang in SPACED)) for w in words)
        not_when = entry.get("not_when") or []
        if not all(isinstance(w, str) and w.strip() for w in not_when):
            raise KeywordsError(f"emergency keyword exceptions for {lang!r} must be phrases")
        exceptions.extend(_pattern(w, lang in SPACED) for w in not_when)
    return KeywordMatcher(tuple(patterns), tuple(exceptions))


@lru_cache
def load_matcher(path: Path = KEYWORDS_FILE) -> KeywordMatcher:
    """The matcher for the shipped keyword file (validated once per process)."""
    return build_matcher(yaml.safe_load(path.read_text(encoding="utf-8")))
