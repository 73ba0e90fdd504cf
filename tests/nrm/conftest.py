"""NRM dashboard fixtures: the real gateway app with a recording fake Rasa and the fake LINE."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testsupport.cases import Gateway, running_gateway


@pytest.fixture
def gateway(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with running_gateway(monkeypatch) as gw:
        yield gw
