"""Start-up check: every screening data file loads and validates, or start-up stops."""

from __future__ import annotations

from screening.commands import load_commands
from screening.htcds import load_mapping
from screening.loader import load_screening
from screening.next_steps import load_next_steps


def check_screening_files() -> str:
    """Load questionnaire, rules, next steps, commands and the HTCDS mapping; raises
    `ScreeningDataError` naming the file and the place of the first problem."""
    data = load_screening()
    load_next_steps()
    load_commands()
    load_mapping()
    return data.questionnaire.version
