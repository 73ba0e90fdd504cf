"""Officer-facing bot texts of the screening conversation (`data/bot_texts.yml`), validated."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from screening.loader import DATA_DIR, load_model
from screening.questionnaire import Bilingual

BOT_TEXTS_FILE = DATA_DIR / "bot_texts.yml"


class Commands(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    back: tuple[str, ...] = Field(min_length=1)
    pause: tuple[str, ...] = Field(min_length=1)
    person: tuple[str, ...] = Field(min_length=1)
    cancel: tuple[str, ...] = Field(min_length=1)

    def command(self, text: str) -> str | None:
        """'back', 'pause', 'person' or 'cancel' when `text` is one of their words."""
        wanted = text.strip().casefold()
        for name in ("back", "pause", "person", "cancel"):
            if wanted in (word.casefold() for word in getattr(self, name)):
                return name
        return None


class BotTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    last_reviewed: str
    review: bool
    commands: Commands
    texts: dict[str, Bilingual]

    def get(self, key: str, lang: str, **values: object) -> str:
        return self.texts[key].get(lang).format(**values)


def load_bot_texts(path: Path = BOT_TEXTS_FILE) -> BotTexts:
    return load_model(path, BotTexts)


@cache
def default_bot_texts() -> BotTexts:
    return load_bot_texts()
