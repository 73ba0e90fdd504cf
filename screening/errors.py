"""Errors raised by the screening package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from saphan.data_files import validation_message


class ScreeningDataError(ValueError):
    """A screening data file is missing, unreadable or invalid (message names file and place)."""


def data_error(path: Path, raw: Any, error: ValidationError) -> ScreeningDataError:
    """Turn a pydantic ValidationError into one clear message naming file, item and field."""
    return ScreeningDataError(validation_message(path, "screening data", raw, error))
