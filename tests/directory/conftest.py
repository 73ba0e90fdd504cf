"""Fixtures for directory tests: an engine on the parametrised test database, record builders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from referral_directory.records import ServiceRecord
from saphan.db import make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def record(**fields: Any) -> ServiceRecord:
    """A valid local service record; keyword arguments override fields."""
    base: dict[str, Any] = {
        "id": "svc-1",
        "type": "shelter",
        "name_en": "Test shelter",
        "province": "Tak",
        "latitude": 16.87,
        "longitude": 99.13,
        "source": "test",
        "confidence": "low",
        "sample": True,
    }
    return ServiceRecord.model_validate({**base, **fields})
