"""Card mode: one dimension's indicators on one card; tick what applies, one tap for the rest.

A card holds every indicator of one dimension (strong first). Ticking an item records "yes";
"none of the rest" records "no" (or "not sure") for every item still open on the card. Only
"yes" counts towards the ILO/EC rule, so a card gives the rule exactly the information the
one-by-one list would: the result equals the full list's (tests/screening check this as a
property). A card closes by itself as soon as its dimension can no longer change the result
(for example once it is positive), and cards are offered in the order of `card_order` in
`rules.yml`, only for dimensions whose answers can still change the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from screening.adaptive import AdaptivePlanner
from screening.criminality import ModuleItem
from screening.questionnaire import Item
from screening.scoring import select

REST_ANSWERS = ("no", "not_sure")  # what "the rest of this card" may be answered with


@dataclass(frozen=True)
class Card:
    """The card to show now: a dimension (or the supplementary module), all its items in this
    list, and which are open."""

    dimension: str
    items: tuple[Item | ModuleItem, ...]
    open: tuple[str, ...]

    def item_at(self, number: int) -> Item | ModuleItem:
        """The item shown as `number` (1-based) on the card."""
        if not 1 <= number <= len(self.items):
            raise IndexError(f"the card has items 1 to {len(self.items)}")
        return self.items[number - 1]


def next_card(
    planner: AdaptivePlanner, context: Mapping[str, str], answers: Mapping[str, str]
) -> Card | None:
    """The card to ask now, or None when more answers cannot change the result."""
    found = planner.open_dimensions(context, answers)
    if found is None:
        return None
    relevant, _ = found
    selection = select(planner.data, context)
    order = planner.data.rules.card_order[selection.profile]
    dimension = next(d for d in order if d in relevant)
    items = tuple(i for i in planner.order(selection.list_id) if i.dimension == dimension)
    return Card(dimension, items, tuple(i.id for i in items if i.id not in answers))


@dataclass(frozen=True)
class CardRun:
    """What running card mode over one answer sheet cost: answers given and interactions."""

    answers: dict[str, str]
    interactions: int


def run_cards(
    planner: AdaptivePlanner,
    context: Mapping[str, str],
    respond: Callable[[Item], str],
    rest: str = "no",
) -> CardRun:
    """Card mode as an officer would use it: tick each item whose answer is "yes" (one tap
    each, in card order), then one tap for the rest of the card, unless the card closed."""
    answers: dict[str, str] = {}
    taps = 0
    while (card := next_card(planner, context, answers)) is not None:
        ticked = False
        for item in card.items:
            if item.id in card.open and respond(item) == "yes":
                answers[item.id] = "yes"
                taps += 1
                ticked = True
                following = next_card(planner, context, answers)
                if following is None or following.dimension != card.dimension:
                    break  # the card closed by itself
        else:
            current = next_card(planner, context, answers)
            if current is not None and current.dimension == card.dimension:
                answers.update(dict.fromkeys(current.open, rest))
                taps += 1
                continue
        if not ticked:  # pragma: no cover - a card always gets a tick or the rest
            raise AssertionError("card mode made no progress")
    return CardRun(answers, taps)
