"""A finished screening as a record (no names needed); storage comes with the bot work."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from saphan.db import utcnow
from screening.scoring import ScreeningResult


@dataclass(frozen=True)
class ScreeningRecord:
    """Who screened (agency, officer id), when, with which questionnaire, answers and result."""

    officer_id: str
    agency: str
    questionnaire_version: str
    context: Mapping[str, str]
    answers: Mapping[str, str]
    result: ScreeningResult
    stopped_early: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: datetime = field(default_factory=utcnow)
