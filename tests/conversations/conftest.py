"""Fixtures of the conversation tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def conversation_model(rasa_model: Path) -> Path:
    """The run's one trained model (bot/config.yml runs the emergency safety net)."""
    return rasa_model
