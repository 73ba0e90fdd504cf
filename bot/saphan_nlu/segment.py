"""Thai/English word segmentation with offsets into the original text (no Rasa import).

`segment(text)` normalises the text (drops zero-width characters and variation selectors,
collapses letters repeated three or more times, "ช่วยด้วยยยย" -> "ช่วยด้วย", and doubled
Thai marks), splits it with PyThaiNLP's dictionary-based `newmm` engine, and returns
`Segment`s whose `text` is the normalised word and whose `start`/`end` index the
*original* text, so `original[start:end]` is the span the person typed. Whitespace and
punctuation-only pieces are dropped; emoji become one token per emoji; digits stay.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: Characters removed before segmentation (zero-width space/joiners, BOM, word joiner,
#: soft hyphen, emoji variation selectors).
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0e\ufe0f"
    "\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"  # emoji skin-tone modifiers
)
#: A run of this many identical letters or more is collapsed to one letter.
REPEAT_RUN = 3
#: The word pattern for bag-of-words featurizers: one feature per whitespace-separated
#: token. Rasa's default, r"(?u)\b\w+\b", cuts Thai words at vowel and tone marks.
WORD_TOKEN_PATTERN = r"(?u)\S+"
RASA_DEFAULT_TOKEN_PATTERN = r"(?u)\b\w+\b"
_THAI_MARK = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


@dataclass(frozen=True)
class Segment:
    """One token: normalised `text`, and its span `start:end` in the original text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Normalised:
    """Normalised text plus, per normalised character, its span in the original text."""

    text: str
    spans: tuple[tuple[int, int], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised span [start, end) back to the original text."""
        return self.spans[start][0], self.spans[end - 1][1]


def _collapsible(char: str, run: int) -> bool:
    if char.isdigit() or char.isspace():
        return False
    if _THAI_MARK.match(char):  # a doubled tone mark or vowel sign is always a typo
        return run >= 2
    return char.isalpha() and run >= REPEAT_RUN


def normalise(text: str) -> Normalised:
    """Drop invisible characters and collapse repeated letters, keeping an offset map."""
    chars: list[str] = []
    spans: list[list[int]] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char in INVISIBLE:
            i += 1
            continue
        j = i + 1
        while j < n and (text[j] == char or text[j] in INVISIBLE):
            j += 1
        run = sum(1 for c in text[i:j] if c == char)
        if run > 1 and _collapsible(char, run):
            chars.append(char)
            spans.append([i, j])
        else:
            for k in range(i, j):
                if text[k] not in INVISIBLE:
                    chars.append(text[k])
                    spans.append([k, k + 1])
        i = j
    # an invisible character between two kept characters belongs to neither; a trailing
    # one is simply outside every span
    return Normalised("".join(chars), tuple((a, b) for a, b in spans))


def _is_symbol(char: str) -> bool:
    return unicodedata.category(char) in {"So", "Sk"} and not char.isalnum()


def _is_punct(char: str) -> bool:
    return unicodedata.category(char)[0] in {"P", "Z", "C"} or char.isspace()


def _edge_punctuation(word: str) -> tuple[int, int]:
    """How many punctuation characters lead and trail `word` (marks are not punctuation)."""
    lead = 0
    while lead < len(word) and _is_punct(word[lead]):
        lead += 1
    trail = 0
    while trail < len(word) - lead and _is_punct(word[len(word) - 1 - trail]):
        trail += 1
    return lead, trail


def _split_piece(piece: str, offset: int) -> list[tuple[str, int]]:
    """Split one segmenter piece into emoji (one token each) and word runs."""
    out: list[tuple[str, int]] = []
    word_start = None
    for k, char in enumerate(piece):
        if _is_symbol(char):
            if word_start is not None:
                out.append((piece[word_start:k], offset + word_start))
                word_start = None
            if not (out and out[-1][0] == char and out[-1][1] + 1 == offset + k):
                out.append((char, offset + k))  # 😭😭 -> one 😭 token
            else:
                out[-1] = (char, out[-1][1])
        elif word_start is None:
            word_start = k
    if word_start is not None:
        out.append((piece[word_start:], offset + word_start))
    return out


@lru_cache(maxsize=4096)
def _newmm(text: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    return tuple(word_tokenize(text, engine="newmm", keep_whitespace=False))


def segment(text: str) -> list[Segment]:
    """Tokens of `text` (see module docstring); empty for empty or blank text."""
    norm = normalise(text)
    if not norm.text.strip():
        return []
    result: list[Segment] = []
    cursor = 0
    for piece in _newmm(norm.text):
        start = norm.text.find(piece, cursor)
        if start < 0:  # the segmenter never rewrites text, but stay safe
            continue
        cursor = start + len(piece)
        for word, word_start in _split_piece(piece, start):
            if not any(_is_symbol(c) for c in word):
                lead, trail = _edge_punctuation(word)
                if lead >= len(word):
                    continue  # punctuation or whitespace only
                word_start += lead
                word = word[lead : len(word) - trail]
            a, b = norm.original_span(word_start, word_start + len(word))
            result.append(Segment(word, a, b))
    return result


def words(text: str) -> list[str]:
    """Just the normalised token texts."""
    return [s.text for s in segment(text)]
