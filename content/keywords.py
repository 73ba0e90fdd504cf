"""Emergency safety-net keywords (`emergency_keywords.yml`) and the matching rule.

Rasa-free so it is unit-tested in the app venv and used by the NLU component
`saphan_nlu.emergency_keywords.EmergencyKeywords` in the Rasa venv.

Rule (all phrase lists are data, per language, in the YAML):
1. `not_when` phrases are blanked out ("emergency shelter" is no danger word);
2. a `keywords` phrase in what is left is a danger word;
3. the message is *settled* when it holds a `settled` phrase (a past event, "I am safe now",
   a rights question after the event, a hypothetical, someone else's past story), every
   sentence with a danger word holds one too ("I came last year. Now they locked us in."
   is not settled: danger anywhere wins), and, once the settled phrases are blanked out, no
   `present` phrase remains ("right now", "help me", "I'm locked in", …): a present danger
   always wins. A settled message fires no keyword, and the NLU component does not promote
   it to `emergency` on a low classifier probability either (the classifier's own top
   intent stands).
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
#: Sentence ends (Latin, Myanmar ။, Khmer ។ ៕); Thai and Lao mark none, so there the
#: message is one sentence.
SENTENCE_END = re.compile(r"[.!?\u104b\u17d4\u17d5]+")


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
class Assessment:
    """What the net found in one message."""

    #: The first danger keyword (as written in the file), settled or not; None if none.
    keyword: str | None
    #: The danger is told as not happening now (past, safe now, rights, hypothetical).
    settled: bool

    @property
    def fires(self) -> bool:
        return self.keyword is not None and not self.settled


@dataclass(frozen=True)
class KeywordMatcher:
    """Finds the first safety-net keyword in a message (see the module docstring's rule)."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    #: Phrases in which a keyword does not count ("emergency shelter", "not in danger").
    exceptions: tuple[re.Pattern[str], ...] = ()
    #: Phrases telling the danger is not now; longest first, so "safe now" hides its "now".
    settled: tuple[re.Pattern[str], ...] = ()
    #: Phrases telling a danger is happening now; they override `settled`.
    present: tuple[re.Pattern[str], ...] = ()

    def assess(self, text: str | None) -> Assessment:
        if not text:
            return Assessment(None, False)
        clean = normalise(text)
        for exception in self.exceptions:
            clean = exception.sub(" | ", clean)
        keyword = next((k for k, pattern in self.patterns if pattern.search(clean)), None)
        rest = clean
        for phrase in self.settled:
            rest = phrase.sub(" | ", rest)
        if rest == clean or any(p.search(rest) for p in self.present):
            return Assessment(keyword, False)
        # settled phrases hold no sentence end, so both split into the same sentences
        sentences = zip(SENTENCE_END.split(clean), SENTENCE_END.split(rest), strict=True)
        settled = all(said != left for said, left in sentences
                      if any(pattern.search(said) for _, pattern in self.patterns))
        return Assessment(keyword, settled)

    def match(self, text: str | None) -> str | None:
        """The keyword that makes `text` an emergency (as written in the file), or None."""
        found = self.assess(text)
        return found.keyword if found.fires else None


def _pattern(keyword: str, spaced: bool) -> re.Pattern[str]:
    """Whole words in spaced scripts; elsewhere anywhere, with spaces optional between any
    two letters (people space Thai/Myanmar/Khmer/Lao phrases at will: "ช่วย ด้วย")."""
    if spaced:
        escaped = re.escape(normalise(keyword)).replace(r"\ ", r"\s+")
        return re.compile(rf"(?<!\w){escaped}(?!\w)")
    return re.compile(r"\s*".join(re.escape(c) for c in normalise(keyword).replace(" ", "")))


def _phrases(entry: dict, key: str, lang: str) -> list[str]:
    phrases = entry.get(key) or []
    if not isinstance(phrases, list) or not all(isinstance(w, str) and w.strip()
                                                for w in phrases):
        raise KeywordsError(f"emergency keyword {key!r} for {lang!r} must be phrases")
    return phrases


def build_matcher(data: dict) -> KeywordMatcher:
    """Validate the parsed YAML and compile it; raises `KeywordsError` when malformed."""
    if not isinstance(data, dict) or not data.get("source") or not data.get("last_reviewed"):
        raise KeywordsError("emergency keywords need 'source' and 'last_reviewed'")
    languages = data.get("languages") or {}
    patterns: list[tuple[str, re.Pattern[str]]] = []
    exceptions: list[re.Pattern[str]] = []
    settled: list[tuple[str, bool]] = []
    present: list[re.Pattern[str]] = []
    for lang in REQUIRED_LANGUAGES:
        entry = languages.get(lang) or {}
        spaced = lang in SPACED
        words = entry.get("keywords") or []
        if not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise KeywordsError(f"emergency keywords for {lang!r} are missing or empty")
        patterns.extend((w, _pattern(w, spaced)) for w in words)
        try:
            not_when = _phrases(entry, "not_when", lang)
        except KeywordsError:
            raise KeywordsError(f"emergency keyword exceptions for {lang!r} must be phrases"
                                ) from None
        exceptions.extend(_pattern(w, spaced) for w in not_when)
        settled.extend((w, spaced) for w in _phrases(entry, "settled", lang))
        present.extend(_pattern(w, spaced) for w in _phrases(entry, "present", lang))
    longest_first = sorted(settled, key=lambda item: -len(normalise(item[0])))
    return KeywordMatcher(tuple(patterns), tuple(exceptions),
                          tuple(_pattern(w, spaced) for w, spaced in longest_first),
                          tuple(present))


@lru_cache
def load_matcher(path: Path = KEYWORDS_FILE) -> KeywordMatcher:
    """The matcher for the shipped keyword file (validated once per process)."""
    return build_matcher(yaml.safe_load(path.read_text(encoding="utf-8")))
