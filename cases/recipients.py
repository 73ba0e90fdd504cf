"""Caseworkers notified on LINE (`SAPHAN_CASEWORKER_LINE_RECIPIENTS`)."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationError

from saphan.settings import Settings


class Recipient(BaseModel):
    channel: str = Field(min_length=1)
    user_id: str = Field(min_length=1, max_length=64)
    wide_only: bool = False  # only told on the wider re-notification of urgent cases


class RecipientConfigError(ValueError):
    pass


def load_recipients(settings: Settings) -> list[Recipient]:
    raw = settings.caseworker_line_recipients.strip() or "[]"
    try:
        return [Recipient.model_validate(item) for item in json.loads(raw)]
    except (json.JSONDecodeError, TypeError, ValidationError) as exc:
        raise RecipientConfigError(f"SAPHAN_CASEWORKER_LINE_RECIPIENTS is invalid: {exc}") from exc
