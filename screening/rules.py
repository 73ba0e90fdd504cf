"""Schema and interpreter of the combination rule (`data/rules.yml`).

Every condition is monotone in the set of "yes" answers (more yes never removes a condition),
which is what lets the adaptive order stop early without changing the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from screening.questionnaire import AnswerId, Bilingual, Questionnaire, Strength


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Strict):
    """Exactly one of: all, any, positive_any, present_any, context_in."""

    all_: tuple[Condition, ...] | None = Field(None, alias="all")
    any_: tuple[Condition, ...] | None = Field(None, alias="any")
    positive_any: tuple[str, ...] | None = None
    present_any: tuple[str, ...] | None = None
    context_in: dict[str, tuple[str, ...]] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_fields = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(set_fields) != 1:
            raise ValueError(
                "a condition needs exactly one of all, any, positive_any, present_any, context_in"
            )
        return self

    def dimensions(self, field: str) -> set[str]:
        """Dimensions this condition references through `positive_any` or `present_any`."""
        found = set(getattr(self, field) or ())
        for child in (*(self.all_ or ()), *(self.any_ or ())):
            found |= child.dimensions(field)
        return found

    def context_refs(self) -> dict[str, set[str]]:
        refs: dict[str, set[str]] = {k: set(v) for k, v in (self.context_in or {}).items()}
        for child in (*(self.all_ or ()), *(self.any_ or ())):
            for key, values in child.context_refs().items():
                refs.setdefault(key, set()).update(values)
        return refs

    def holds(self, state: DimensionState, context: Mapping[str, str]) -> bool:
        """Evaluate against dimension positivity/presence and the context answers."""
        if self.all_ is not None:
            return all(c.holds(state, context) for c in self.all_)
        if self.any_ is not None:
            return any(c.holds(state, context) for c in self.any_)
        if self.positive_any is not None:
            return any(d in state.positive for d in self.positive_any)
        if self.present_any is not None:
            return any(d in state.present for d in self.present_any)
        assert self.context_in is not None
        return any(context.get(key) in values for key, values in self.context_in.items())


@dataclass(frozen=True)
class DimensionState:
    """Which dimensions are positive and which have at least one indicator present."""

    positive: frozenset[str]
    present: frozenset[str]


class ResultRule(_Strict):
    id: str
    when: dict[str, Condition]


class Rules(_Strict):
    """The whole rules file."""

    version: str = Field(min_length=1)
    verified: bool
    source: str = Field(min_length=1)
    present_answers: tuple[AnswerId, ...] = Field(min_length=1)
    dimension_positive_when: tuple[dict[Strength, int], ...] = Field(min_length=1)
    profile_by_under_18: dict[str, str]
    list_by_profile_and_form: dict[str, dict[str, str]]
    results: tuple[ResultRule, ...] = Field(min_length=2)
    wording: dict[str, Bilingual]
    card_order: dict[str, tuple[str, ...]]
    """Per profile, the order in which card mode offers the dimensions (every dimension once)."""

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        for index, combination in enumerate(self.dimension_positive_when):
            where = f"dimension_positive_when[{index}]"
            if not combination or any(n < 1 for n in combination.values()):
                raise ValueError(f"{where}: needs at least one strength with a count >= 1")
            if set(combination) == {"weak"}:
                raise ValueError(f"{where}: weak indicators alone never make a dimension positive")
        profiles = set(self.list_by_profile_and_form)
        unknown = sorted(set(self.profile_by_under_18.values()) - profiles)
        if unknown:
            raise ValueError(f"profile_by_under_18: unknown profile(s) {', '.join(unknown)}")
        ids = [r.id for r in self.results]
        if len(set(ids)) != len(ids):
            raise ValueError("results: duplicate result ids")
        for result in self.results:
            if set(result.when) != profiles:
                raise ValueError(
                    f"results (id {result.id!r}).when: needs exactly the profiles "
                    f"{', '.join(sorted(profiles))}"
                )
        for result in self.results[-1:]:
            for profile, condition in result.when.items():
                if condition.all_ != ():
                    raise ValueError(
                        f"results (id {result.id!r}).when.{profile}: the last result must be "
                        "the fallback `{all: []}`"
                    )
        missing = sorted({"disclaimer", "stopped_early", *ids} - set(self.wording))
        if missing:
            raise ValueError(f"wording: missing {', '.join(missing)}")
        return self

    def check_against(self, questionnaire: Questionnaire) -> None:
        """Raise ValueError if the rules reference anything the questionnaire lacks."""
        dimensions = set(questionnaire.dimension_ids())
        lists = {lst.id for lst in questionnaire.lists}
        for profile, forms in self.list_by_profile_and_form.items():
            bad = sorted(set(forms.values()) - lists)
            if bad:
                raise ValueError(
                    f"list_by_profile_and_form.{profile}: unknown list(s) {', '.join(bad)}"
                )
        under_18 = set(questionnaire.context_question("under_18").option_ids())
        if set(self.profile_by_under_18) != under_18:
            raise ValueError(
                "profile_by_under_18: keys must be the under_18 options "
                f"{', '.join(sorted(under_18))}"
            )
        forms = set(questionnaire.context_question("exploitation_form").option_ids())
        for profile, by_form in self.list_by_profile_and_form.items():
            if set(by_form) != forms:
                raise ValueError(
                    f"list_by_profile_and_form.{profile}: keys must be the exploitation_form "
                    f"options {', '.join(sorted(forms))}"
                )
        for profile in self.list_by_profile_and_form:
            order = self.card_order.get(profile, ())
            if sorted(order) != sorted(dimensions):
                raise ValueError(
                    f"card_order.{profile}: needs every dimension exactly once "
                    f"({', '.join(sorted(dimensions))})"
                )
        for result in self.results:
            for profile, condition in result.when.items():
                where = f"results (id {result.id!r}).when.{profile}"
                used = condition.dimensions("positive_any") | condition.dimensions("present_any")
                bad = sorted(used - dimensions)
                if bad:
                    raise ValueError(f"{where}: unknown dimension(s) {', '.join(bad)}")
                for key, values in condition.context_refs().items():
                    try:
                        options = set(questionnaire.context_question(key).option_ids())
                    except KeyError:
                        raise ValueError(f"{where}: unknown context question {key!r}") from None
                    if not values <= options:
                        raise ValueError(f"{where}: {key!r} has no option(s) {sorted(values)}")

    def dimension_positive(self, counts: Mapping[str, int]) -> bool:
        """Whether strength counts ({'strong': n, ...}) make a dimension positive."""
        return any(
            all(counts.get(strength, 0) >= n for strength, n in combination.items())
            for combination in self.dimension_positive_when
        )

    def presence_dimensions(self, profile: str) -> set[str]:
        """Dimensions whose mere presence of an indicator matters for `profile`."""
        found: set[str] = set()
        for result in self.results:
            found |= result.when[profile].dimensions("present_any")
        return found

    def result_index(self, profile: str, state: DimensionState, context: Mapping[str, str]) -> int:
        """Index in `results` of the first result whose condition holds."""
        for index, result in enumerate(self.results):
            if result.when[profile].holds(state, context):
                return index
        raise AssertionError("unreachable: the last result is the unconditional fallback")
