"""Gateway fixtures: the fake LINE platform and this process's gateway settings."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from gateway_helpers import CHANNELS

from saphan.db import reset_caches
from testsupport.fake_line import FakeLine
from testsupport.stack import free_port


@pytest.fixture
def fake_line() -> Iterator[FakeLine]:
    with FakeLine() as line:
        yield line


@pytest.fixture
def gateway_env(app_env: str, fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process's settings: the test DB, the fake LINE, two channels, Rasa unreachable."""
    monkeypatch.setenv("SAPHAN_LINE_API_BASE_URL", fake_line.url)
    monkeypatch.setenv("SAPHAN_LINE_CHANNELS", json.dumps(CHANNELS))
    monkeypatch.setenv("SAPHAN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("SAPHAN_INBOX_RETRY_BASE_S", "0.2")
    monkeypatch.setenv("SAPHAN_INBOX_RETRY_MAX_S", "0.5")
    reset_caches()
    return app_env
