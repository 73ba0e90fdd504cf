"""Next steps per Thailand's NRM, selected by screening result (`data/next_steps.yml`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from content.catalogue import catalogue, fill_facts
from screening.loader import DATA_DIR, load_model
from screening.questionnaire import Bilingual

NEXT_STEPS_FILE = DATA_DIR / "next_steps.yml"


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source: str = Field(min_length=1)
    text: Bilingual
    call: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    action: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_hotlines(cls, raw: Any) -> Any:
        """Texts and `call` name hotlines ({hotline_social}, hotline_social); the numbers come
        from the directory through the text catalogue's facts."""
        if not isinstance(raw, dict):
            return raw
        facts = catalogue().facts
        filled = dict(raw)
        unknown = [name for name in raw.get("call") or () if name not in facts]
        if unknown:
            raise ValueError(f"call: unknown hotline(s) {unknown}; one of {sorted(facts)}")
        filled["call"] = tuple(facts[name] for name in raw.get("call") or ())
        if isinstance(raw.get("text"), dict):
            filled["text"] = {lang: fill_facts(value, f"step {raw.get('id')} text.{lang}")
                              if isinstance(value, str) else value
                              for lang, value in raw["text"].items()}
        return filled


class NextStepsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    verified: bool
    steps: tuple[Step, ...] = Field(min_length=1)
    by_result: dict[str, tuple[str, ...]]

    @model_validator(mode="after")
    def _known_steps(self) -> NextStepsFile:
        ids = [step.id for step in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("steps: duplicate step ids")
        for result, chosen in self.by_result.items():
            unknown = sorted(set(chosen) - set(ids))
            if unknown:
                raise ValueError(f"by_result.{result}: unknown step(s) {', '.join(unknown)}")
        return self

    def step(self, step_id: str) -> Step:
        return next(step for step in self.steps if step.id == step_id)


@dataclass(frozen=True)
class ServiceSearch:
    """A directory search to run for the officer (wired to the directory later)."""

    service_type: str
    province: str | None


@dataclass(frozen=True)
class NextSteps:
    steps: tuple[Step, ...]
    searches: tuple[ServiceSearch, ...]

    def render(self, lang: str) -> str:
        return "\n".join(f"{n}. {step.text.get(lang)}" for n, step in enumerate(self.steps, 1))


def load_next_steps(path: Path = NEXT_STEPS_FILE) -> NextStepsFile:
    return load_model(path, NextStepsFile)


@cache
def default_next_steps() -> NextStepsFile:
    return load_next_steps()


def next_steps_for(
    category: str, province: str | None, steps: NextStepsFile | None = None
) -> NextSteps:
    """The steps for a result category, and the directory searches near `province`."""
    steps = steps or default_next_steps()
    if category not in steps.by_result:
        raise KeyError(f"no next steps for result {category!r}")
    chosen = tuple(steps.step(step_id) for step_id in steps.by_result[category])
    searches = tuple(
        ServiceSearch(service_type, province)
        for step in chosen
        for service_type in step.service_types
    )
    return NextSteps(chosen, searches)
