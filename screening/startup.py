"""Start-up check: every screening data file loads and validates, or start-up stops."""

from __future__ import annotations

from screening.bot_texts import load_bot_texts
from screening.htcds import load_mapping
from screening.loader import load_screening
from screening.next_steps import load_next_steps


def check_screening_files() -> str:
    """Load questionnaire, rules, next steps, bot texts and the HTCDS mapping; raises
    `ScreeningDataError` naming the file and the place of the first problem."""
    data = load_screening()
    load_next_steps()
    load_bot_texts()
    load_mapping()
    return data.questionnaire.version
