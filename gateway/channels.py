"""LINE channels from configuration (`SAPHAN_LINE_CHANNELS`), plus the simulator's channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from saphan.settings import LineChannelConfig, LineChannelsError, Settings

Audience = Literal["officer", "public"]
SIMULATOR_PREFIX = "simulator-"
ChannelConfig = LineChannelConfig  # parsed and validated by the settings


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


#: `SAPHAN_LINE_CHANNELS` is not a valid list of channels (raised by `Settings` or here).
ChannelConfigError = LineChannelsError


def load_channels(settings: Settings) -> dict[str, Channel]:
    """All channels by name: configured LINE channels and `simulator-public|officer`."""
    channels = {
        f"{SIMULATOR_PREFIX}{aud}": Channel(f"{SIMULATOR_PREFIX}{aud}", aud)  # type: ignore[arg-type]
        for aud in ("public", "officer")
    }
    for item in settings.line_channels:
        if item.name in channels:
            raise ChannelConfigError(
                f"SAPHAN_LINE_CHANNELS: channel name {item.name!r} is reserved")
        channels[item.name] = Channel(
            item.name, item.audience, item.secret.get_secret_value(),
            item.access_token.get_secret_value(),
        )
    return channels
