"""Reliability fixtures: the real gateway app over HTTP (fake Rasa that echoes, fake LINE),
with every log line it writes captured."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from log_capture import LogLines

from testsupport.cases import Gateway, running_gateway


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    handler = LogLines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def gateway(app_env: str, log_lines: LogLines, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[Gateway]:
    with running_gateway(monkeypatch, INBOX_RETRY_BASE_S="0.2", INBOX_RETRY_MAX_S="0.5",
                         ADMIN_API_TOKEN="admin-token-0123456789") as gw:
        yield gw
