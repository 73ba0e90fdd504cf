"""Start-up check: every screening data file loads and validates, or start-up stops."""

from __future__ import annotations

from screening.audio_clips import load_clips
from screening.commands import load_commands
from screening.criminality import load_criminality
from screening.htcds import load_mapping
from screening.loader import load_screening
from screening.next_steps import load_next_steps
from screening.practice import load_practice


def check_screening_files() -> str:
    """Load questionnaire, rules, next steps, commands, the HTCDS mapping, the practice cases
    (checked against the rule), the forced-criminality module and the audio clips; raises
    `ScreeningDataError` naming the file and the place of the first problem."""
    data = load_screening()
    load_next_steps()
    load_commands()
    load_mapping()
    load_practice(data=data)
    load_criminality()
    load_clips(data=data)
    return data.questionnaire.version
