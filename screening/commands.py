"""Words that steer a running screening (`data/commands.yml`): back, pause, person, cancel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from screening.loader import DATA_DIR, load_model

COMMANDS_FILE = DATA_DIR / "commands.yml"
NAMES = ("back", "pause", "person", "cancel")


class Commands(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    back: tuple[str, ...] = Field(min_length=1)
    pause: tuple[str, ...] = Field(min_length=1)
    person: tuple[str, ...] = Field(min_length=1)
    cancel: tuple[str, ...] = Field(min_length=1)

    def command(self, text: str) -> str | None:
        """'back', 'pause', 'person' or 'cancel' when `text` is one of their words."""
        wanted = text.strip().casefold()
        for name in NAMES:
            if wanted in (word.casefold() for word in getattr(self, name)):
                return name
        return None


def load_commands(path: Path = COMMANDS_FILE) -> Commands:
    return load_model(path, Commands)


@cache
def default_commands() -> Commands:
    return load_commands()
