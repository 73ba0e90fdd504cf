"""Deterministic entity lookup over Thai/English tokens (no Rasa import).

A `Gazetteer` maps aliases ("ชลบุรี", "Chonburi", "ศรีราชา", "ทนาย") to
`(entity, canonical value)`. `find(text)` looks for every alias in the normalised,
lower-cased text and keeps a match only where both of its ends fall on token boundaries
of `segment.segment` (so "ตาก" is not found inside "ตากแดด", nor "lao" inside "laos-..."),
then keeps the longest non-overlapping matches, leftmost first. Spans index the original
text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from saphan_nlu.segment import normalise, segment


@dataclass(frozen=True)
class Match:
    """One entity found in a message."""

    entity: str
    value: str
    start: int
    end: int
    text: str


def alias_key(alias: str) -> str:
    """The form aliases are compared in: normalised and lower-cased, single spaces."""
    return " ".join(normalise(alias).text.lower().split())


class Gazetteer:
    """Alias table: alias -> (entity, canonical value)."""

    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """`entries` are (alias, entity, canonical value) triples."""
        self.table: dict[str, tuple[str, str]] = {}
        for alias, entity, value in entries:
            key = alias_key(alias)
            if key:
                self.table[key] = (entity, value)
        self._by_first: dict[str, list[str]] = {}
        for key in sorted(self.table, key=len, reverse=True):
            self._by_first.setdefault(key[0], []).append(key)

    def entries(self) -> list[tuple[str, str, str]]:
        return [(alias, ent, val) for alias, (ent, val) in sorted(self.table.items())]

    def find(self, text: str) -> list[Match]:
        norm = normalise(text)
        lowered = norm.text.lower()
        tokens = segment(text)
        if not tokens:
            return []
        # token boundaries in normalised coordinates
        orig_to_norm_start = {span[0]: i for i, span in enumerate(norm.spans)}
        orig_to_norm_end = {span[1]: i + 1 for i, span in enumerate(norm.spans)}
        starts = {orig_to_norm_start[t.start] for t in tokens if t.start in orig_to_norm_start}
        ends = {orig_to_norm_end[t.end] for t in tokens if t.end in orig_to_norm_end}
        candidates: list[tuple[int, int, str]] = []
        for i in sorted(starts):
            for key in self._by_first.get(lowered[i], ()):
                if lowered.startswith(key, i) and (i + len(key)) in ends:
                    candidates.append((i, i + len(key), key))
                    break  # longest alias starting here
        matches: list[Match] = []
        taken_until = -1
        for start, end, key in sorted(candidates, key=lambda c: (c[0], -(c[1] - c[0]))):
            if start < taken_until:
                continue
            taken_until = end
            entity, value = self.table[key]
            a, b = norm.original_span(start, end)
            matches.append(Match(entity, value, a, b, text[a:b]))
        return matches
