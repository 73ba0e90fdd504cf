"""Screening test fixtures: the bundled data, a planner, `pick` (items by grading)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from screening.adaptive import AdaptivePlanner
from screening.loader import ScreeningData, load_screening


@pytest.fixture(scope="session")
def data() -> ScreeningData:
    return load_screening()


@pytest.fixture(scope="session")
def planner(data: ScreeningData) -> AdaptivePlanner:
    return AdaptivePlanner(data)


Pick = Callable[[str, str, str, int], list[str]]


@pytest.fixture(scope="session")
def pick(data: ScreeningData) -> Pick:
    """pick(list_id, dimension, strength, n): the first n item ids of that grading."""

    def _pick(list_id: str, dimension: str, strength: str, n: int) -> list[str]:
        ids = [
            item.id
            for item in data.questionnaire.items_for(list_id)
            if item.dimension == dimension and item.strength[list_id] == strength
        ]
        assert len(ids) >= n, f"{list_id}/{dimension} has only {len(ids)} {strength} item(s)"
        return ids[:n]

    return _pick
