"""A finished screening as a record (no names needed); stored by `screening.store`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from saphan.db import utcnow
from screening.scoring import ScreeningResult

AnsweredBy = Literal["officer", "person"]


@dataclass(frozen=True)
class ScreeningRecord:
    """Who screened (agency, officer id), when, with which questionnaire, answers and result;
    whether the person answered on the phone (`screening.person_mode`), in which language and
    through unreviewed draft texts, so that whoever reads the record can weigh the answers."""

    officer_id: str
    agency: str
    questionnaire_version: str
    context: Mapping[str, str]
    answers: Mapping[str, str]
    result: ScreeningResult
    stopped_early: bool = False
    answered_by: AnsweredBy = "officer"
    """Who answered: the person (some or all questions, in person mode) or the officer."""
    person_language: str | None = None
    """The language the person answered in (None: the officer asked)."""
    drafts_shown: bool = False
    """The person answered through texts not yet reviewed by a native speaker."""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: datetime = field(default_factory=utcnow)
