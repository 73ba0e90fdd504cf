"""Supplementary forced-criminality indicators (`data/forced_criminality.yml`), asked as one
card only when the officer chooses the form of exploitation "criminality".

They are recorded beside the ILO/EC result (`ScreeningResult.module`) and never change it:
the result is scored on the ILO/EC labour list, so the adaptive and card modes keep giving the
full list's result. Every item names its published source and is marked for expert review;
what the person reads is in all five languages (my/km/lo machine drafts marked `review`, as in
the questionnaire), so a person-facing screening never falls back to English for this module.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from screening.loader import DATA_DIR, load_model
from screening.questionnaire import Bilingual, DraftText, PersonText

CRIMINALITY_FILE = DATA_DIR / "forced_criminality.yml"
FORM = "criminality"  # the exploitation_form option that brings the module in
MODULE = "forced_criminality"


class ModulePersonText(PersonText):
    """The person's text of a module item: Thai, English and a draft in each of my/km/lo."""

    my: DraftText
    km: DraftText
    lo: DraftText


class ModuleItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^fc_[a-z0-9_]+$")
    expert_review: Literal[True]
    """Schema-enforced until a domain expert has checked the item and this field changes."""
    source: str = Field(min_length=1)
    label: Bilingual
    officer: Bilingual
    person: ModulePersonText


class CriminalityModule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    items: tuple[ModuleItem, ...] = Field(min_length=1)

    def item(self, item_id: str) -> ModuleItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"unknown forced-criminality indicator {item_id!r}")


def load_criminality(path: Path = CRIMINALITY_FILE) -> CriminalityModule:
    return load_model(path, CriminalityModule)


@cache
def default_criminality() -> CriminalityModule:
    return load_criminality()


def wanted(context: dict[str, str]) -> bool:
    """Whether the officer chose forced criminality (the module is asked only then)."""
    return context.get("exploitation_form") == FORM
