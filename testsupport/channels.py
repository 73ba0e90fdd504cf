"""The one definition of the test LINE channels (a public and an officer official account).

Tests, the reliability harness and the benchmarks configure these; the fake LINE platform
signs webhooks with `SECRETS[name]` and sees `access_token` on sends.
"""

from __future__ import annotations

import json

from saphan.settings import LineChannelConfig

PUBLIC = {"name": "public", "audience": "public", "secret": "public-secret-123",
          "access_token": "public-token"}
OFFICER = {"name": "officer", "audience": "officer", "secret": "officer-secret-456",
           "access_token": "officer-token"}
CHANNELS = [PUBLIC, OFFICER]
SECRETS = {channel["name"]: channel["secret"] for channel in CHANNELS}
TOKENS = {channel["name"]: channel["access_token"] for channel in CHANNELS}


def channels_json(channels: list[dict[str, str]] | None = None) -> str:
    """`SAPHAN_LINE_CHANNELS` for these channels (default: both)."""
    return json.dumps(CHANNELS if channels is None else channels)


def channel_settings(channels: list[dict[str, str]] | None = None) -> list[LineChannelConfig]:
    """The typed `Settings.line_channels` value (for `Settings.model_copy(update=...)`)."""
    chosen = CHANNELS if channels is None else channels
    return [LineChannelConfig.model_validate(channel) for channel in chosen]
