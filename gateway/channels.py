"""LINE channels from configuration (`SAPHAN_LINE_CHANNELS`), plus the simulator's channels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError

from saphan.settings import Settings

Audience = Literal["officer", "public"]
SIMULATOR_PREFIX = "simulator-"


class ChannelConfig(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    audience: Audience
    secret: SecretStr
    access_token: SecretStr


@dataclass(frozen=True)
class Channel:
    """Where an event came from: a LINE channel, or the local simulator (no LINE account)."""

    name: str
    audience: Audience
    secret: str = ""
    access_token: str = ""

    @property
    def is_simulator(self) -> bool:
        return self.name.startswith(SIMULATOR_PREFIX)


class ChannelConfigError(ValueError):
    """`SAPHAN_LINE_CHANNELS` is not a valid list of channels."""


def load_channels(settings: Settings) -> dict[str, Channel]:
    """All channels by name: configured LINE channels and `simulator-public|officer`."""
    channels = {
        f"{SIMULATOR_PREFIX}{aud}": Channel(f"{SIMULATOR_PREFIX}{aud}", aud)  # type: ignore[arg-type]
        for aud in ("public", "officer")
    }
    raw = settings.line_channels.strip() or "[]"
    try:
        items = [ChannelConfig.model_validate(item) for item in json.loads(raw)]
    except (json.JSONDecodeError, TypeError, ValidationError) as exc:
        raise ChannelConfigError(f"SAPHAN_LINE_CHANNELS is invalid: {exc}") from exc
    for item in items:
        if item.name in channels:
            raise ChannelConfigError(f"duplicate or reserved channel name {item.name!r}")
        channels[item.name] = Channel(
            item.name, item.audience, item.secret.get_secret_value(),
            item.access_token.get_secret_value(),
        )
    return channels
