"""Adaptive question order: strong indicators first, only questions that can change the result.

The result is a monotone function of the set of "yes" answers (see `rules.py`). With the
answers so far, each dimension's state (positive? any indicator present?) lies between a lower
bound (every open question answered "no") and an upper bound (every open question "yes").
A dimension is asked about only while moving it from its lower to its upper state can change
the result for some possible state of the other dimensions; in particular a dimension is never
asked about once it is positive or can no longer become positive (unless, for a child, the mere
presence of an indicator still matters). Questioning stops when the result is fixed.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from functools import cache, lru_cache

from screening.loader import ScreeningData
from screening.questionnaire import STRENGTHS, Item
from screening.rules import DimensionState
from screening.scoring import check_answers, select

# (positive, present) lower and upper bound of one dimension.
Range = tuple[tuple[bool, bool], tuple[bool, bool]]


def _states(bounds: Range) -> tuple[tuple[bool, bool], ...]:
    """Every (positive, present) state between the bounds; positive implies present."""
    (pos_lo, pres_lo), (pos_hi, pres_hi) = bounds
    return tuple(
        (pos, pres)
        for pos in sorted({pos_lo, pos_hi})
        for pres in sorted({pres_lo, pres_hi})
        if pres or not pos
    )


class AdaptivePlanner:
    """Chooses the next indicator question for a screening (create once per data set)."""

    def __init__(self, data: ScreeningData) -> None:
        self.data = data
        self._relevant = lru_cache(maxsize=65536)(self._relevant_uncached)

    def order(self, list_id: str) -> tuple[Item, ...]:
        """All items of a list: strong first, then medium, then weak; file order within."""
        return self._order(list_id)

    @cache  # noqa: B019 - one planner per data set, kept for the process lifetime
    def _order(self, list_id: str) -> tuple[Item, ...]:
        rank = {s: i for i, s in enumerate(STRENGTHS)}
        items = self.data.questionnaire.items_for(list_id)
        return tuple(sorted(items, key=lambda item: rank[item.strength[list_id]]))

    @cache  # noqa: B019
    def _graded(self, list_id: str) -> tuple[tuple[Item, str, str], ...]:
        return tuple(
            (item, item.dimension, item.strength[list_id]) for item in self._order(list_id)
        )

    def bounds(
        self, list_id: str, answers: Mapping[str, str]
    ) -> tuple[DimensionState, DimensionState, list[Item]]:
        """(lower, upper) dimension states and the open items, in asking order."""
        present_answers = self.data.rules.present_answers
        low: dict[str, Counter[str]] = defaultdict(Counter)
        high: dict[str, Counter[str]] = defaultdict(Counter)
        open_items = []
        for item, dimension, strength in self._graded(list_id):
            answer = answers.get(item.id)
            if answer is None:
                open_items.append(item)
            elif answer not in present_answers:
                continue
            else:
                low[dimension][strength] += 1
            high[dimension][strength] += 1
        positive = self.data.rules.dimension_positive
        return (
            DimensionState(frozenset(d for d, c in low.items() if positive(c)), frozenset(low)),
            DimensionState(frozenset(d for d, c in high.items() if positive(c)), frozenset(high)),
            open_items,
        )

    def next_item(self, context: Mapping[str, str], answers: Mapping[str, str]) -> Item | None:
        """The next question to ask, or None when more answers cannot change the result."""
        found = self.open_dimensions(context, answers)
        if found is None:
            return None
        dimensions, open_items = found
        for item in open_items:
            if item.dimension in dimensions:
                return item
        # Unreachable when the rules are monotone; asking is always safe.
        return open_items[0]

    def open_dimensions(
        self, context: Mapping[str, str], answers: Mapping[str, str]
    ) -> tuple[tuple[str, ...], list[Item]] | None:
        """(dimensions whose open items can still change the result, in questionnaire order;
        the open items in asking order), or None when the result is settled."""
        selection = select(self.data, context)
        check_answers(self.data, selection.list_id, answers)
        lower, upper, open_items = self.bounds(selection.list_id, answers)
        rules = self.data.rules
        if rules.result_index(selection.profile, lower, context) == rules.result_index(
            selection.profile, upper, context
        ):
            return None
        ranges = tuple(
            (
                d,
                (
                    (d in lower.positive, d in lower.present),
                    (d in upper.positive, d in upper.present),
                ),
            )
            for d in self.data.questionnaire.dimension_ids()
        )
        context_key = tuple(sorted(context.items()))
        relevant = tuple(d for d, _ in ranges
                         if self._relevant(selection.profile, context_key, ranges, d))
        if not relevant:  # unreachable when the rules are monotone: ask what is open
            relevant = tuple(dict.fromkeys(item.dimension for item in open_items))
        return relevant, open_items

    def _relevant_uncached(
        self,
        profile: str,
        context_key: tuple[tuple[str, str], ...],
        ranges: tuple[tuple[str, Range], ...],
        dimension: str,
    ) -> bool:
        """Whether moving `dimension` from its lower to upper state can change the result."""
        context = dict(context_key)
        bounds = dict(ranges)
        low, high = bounds[dimension]
        if low == high:
            return False
        others = [d for d in bounds if d != dimension]
        for combo in itertools.product(*(_states(bounds[d]) for d in others)):
            assigned = dict(zip(others, combo, strict=True))
            results = set()
            for own in (low, high):
                assigned[dimension] = own
                state = DimensionState(
                    positive=frozenset(d for d, (pos, _) in assigned.items() if pos),
                    present=frozenset(d for d, (_, pres) in assigned.items() if pres),
                )
                results.add(self.data.rules.result_index(profile, state, context))
            if len(results) > 1:
                return True
        return False


def run_adaptive(
    planner: AdaptivePlanner, context: Mapping[str, str], respond: Callable[[Item], str]
) -> dict[str, str]:
    """Ask questions in adaptive order, answering with `respond`; returns the answers given."""
    answers: dict[str, str] = {}
    while (item := planner.next_item(context, answers)) is not None:
        answers[item.id] = respond(item)
    return answers
