"""The know-your-rights knowledge base (`content/rights.yml`) and topic lookup by keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from content import CONTENT_DIR
from content.catalogue import CatalogueError, fill_facts
from content.keywords import normalise
from saphan.language import FULL_LANGUAGES

RIGHTS_FILE = CONTENT_DIR / "rights.yml"
RIGHTS_LANGUAGES = FULL_LANGUAGES
REQUIRED_TOPICS = ("minimum_wage", "documents", "working_hours", "recruitment_fees",
                   "changing_employer", "sick_leave", "severance", "how_to_complain")


class RightsError(ValueError):
    """The knowledge base is malformed."""


@dataclass(frozen=True)
class RightsAnswer:
    topic: str
    answer: dict[str, str]
    source: str
    last_reviewed: str
    verified: bool
    note: str | None
    keywords: tuple[str, ...]  # normalised, all languages


def _topic(name: str, raw: dict) -> RightsAnswer:
    answer = raw.get("answer") or {}
    keywords = raw.get("keywords") or {}
    missing = [lang for lang in RIGHTS_LANGUAGES if not answer.get(lang) or not keywords.get(lang)]
    if missing or not raw.get("source") or not raw.get("last_reviewed") or "verified" not in raw:
        raise RightsError(f"topic {name!r}: needs answer+keywords in th/en, source, "
                          "last_reviewed and verified")
    if raw["verified"] is False and not raw.get("note"):
        raise RightsError(f"topic {name!r}: unverified answers need a note")
    words = tuple(normalise(w) for lang in RIGHTS_LANGUAGES for w in keywords[lang])
    try:  # hotline numbers are placeholders filled from the directory
        answer = {lang: fill_facts(value, f"topic {name!r} ({lang})")
                  for lang, value in answer.items()}
    except CatalogueError as error:
        raise RightsError(str(error)) from None
    return RightsAnswer(name, dict(answer), str(raw["source"]), str(raw["last_reviewed"]),
                        bool(raw["verified"]), raw.get("note"), words)


@lru_cache
def load_rights(path: Path = RIGHTS_FILE) -> dict[str, RightsAnswer]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    topics = {name: _topic(name, raw) for name, raw in (data.get("topics") or {}).items()}
    missing = [t for t in REQUIRED_TOPICS if t not in topics]
    if missing:
        raise RightsError(f"{path}: missing topics {missing}")
    return topics


def find_topic(question: str | None, topics: dict[str, RightsAnswer] | None = None
               ) -> RightsAnswer | None:
    """The topic whose longest keyword occurs in `question` (None when nothing matches)."""
    if not question:
        return None
    clean = normalise(question)
    best: tuple[int, RightsAnswer] | None = None
    for topic in (topics or load_rights()).values():
        for word in topic.keywords:
            if _contains(clean, word) and (best is None or len(word) > best[0]):
                best = (len(word), topic)
    return best[1] if best else None


def _contains(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
    return word in text
