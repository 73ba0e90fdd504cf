"""Thai/English word segmentation with offsets into the original text (no Rasa import).

`segment(text)` normalises the text (drops zero-width characters and variation selectors,
collapses letters repeated three or more times, "ช่วยด้วยยยย" -> "ช่วยด้วย", and doubled
Thai marks), splits it with PyThaiNLP's dictionary-based `newmm` engine, and returns
`Segment`s whose `text` is the normalised word and whose `start`/`end` index the
*original* text, so `original[start:end]` is the span the person typed. Whitespace and
punctuation-only pieces are dropped; emoji become one token per emoji; digits stay.

Myanmar, Khmer and Lao are written without spaces between words and newmm does not know
them: their runs are cut into syllables (Myanmar, by the sylbreak rule) or character
clusters (Khmer, Lao: a consonant with its vowels, marks and subscripts), rule-based and
offline. Word n-gram features then see syllable (n-gram)s, and gazetteer names written in
these scripts can match at syllable boundaries. Chosen over the registries' word
segmenters by cross-validation (benchmarks/nlu.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

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


#: Where a Myanmar, Khmer or Lao run may be cut: before a consonant or independent vowel
#: that is not stacked (after a virama/coeng) and, in Myanmar, not killed by asat/virama;
#: in Lao also before a leading vowel, and not between a leading vowel and its consonant.
_SYLLABLE_BREAK = re.compile(
    "(?<!\u1039)(?=[\u1000-\u102a\u103f\u104c-\u104f](?![\u103a\u1039]))"  # Myanmar
    "|(?<!\u17d2)(?=[\u1780-\u17b3])"  # Khmer
    "|(?<![\u0ec0-\u0ec4])(?=[\u0e81-\u0eae\u0edc-\u0edf\u0ec0-\u0ec4])"  # Lao
)
_SYLLABIC = re.compile("[\u1000-\u109f\u1780-\u17ff\u0e80-\u0eff]")
#: A lone Khmer/Lao consonant after an open cluster is its final consonant ("ផ"+"ង" -> "ផង",
#: "ໂຮ"+"ງ" -> "ໂຮງ"); Lao ອ/ວ act as vowels and leave the syllable open ("ກ"+"ອ"+"ກ").
_FINALS = frozenset(
    [chr(c) for c in range(0x1780, 0x17A3)] + [chr(c) for c in range(0x0E81, 0x0EAF)]
)
_LAO_VOWEL_LETTERS = frozenset("\u0ead\u0ea7")
#: Khmer/Lao clusters that can take a final: they start with a consonant, independent vowel
#: or Lao leading vowel; closing signs (Khmer nikahit, reahmuk, bantoc) end the syllable.
_OPEN = re.compile("[\u1780-\u17b3\u0e81-\u0eae\u0ec0-\u0ec4]")
_CLOSING = re.compile("[\u17c6\u17c7\u17c8\u17cb]")


def syllables(word: str) -> list[tuple[str, int]]:
    """(piece, offset) of `word` cut at Myanmar/Khmer/Lao syllable breaks; other text
    (Thai, Latin, digits) is kept in one piece between them."""
    if not _SYLLABIC.search(word):
        return [(word, 0)]
    cuts = sorted({0, len(word), *(m.start() for m in _SYLLABLE_BREAK.finditer(word))})
    pieces: list[tuple[str, int]] = []
    is_open = False  # may the last piece still take a final consonant?
    for a, b in pairwise(cuts):
        piece = word[a:b]
        if not piece:
            continue
        if pieces and is_open and piece in _FINALS:
            pieces[-1] = (pieces[-1][0] + piece, pieces[-1][1])  # Khmer/Lao final consonant
            is_open = piece in _LAO_VOWEL_LETTERS
        elif pieces and not _SYLLABIC.search(piece) and not _SYLLABIC.search(pieces[-1][0]):
            # keep non-syllabic stretches (a Latin word inside) whole
            pieces[-1] = (pieces[-1][0] + piece, pieces[-1][1])
        else:
            pieces.append((piece, a))
            is_open = bool(_OPEN.match(piece)) and not _CLOSING.search(piece)
    return pieces


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
            for syllable, offset in syllables(word):
                a, b = norm.original_span(word_start + offset,
                                          word_start + offset + len(syllable))
                result.append(Segment(syllable, a, b))
    return result


def words(text: str) -> list[str]:
    """Just the normalised token texts."""
    return [s.text for s in segment(text)]
