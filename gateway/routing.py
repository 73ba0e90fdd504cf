"""Where a user's message goes. Today always Rasa.

Hook point for the caseworker/handoff issue: when a conversation is in a live handoff, return
"case" here and deliver the message to the case instead of Rasa.
"""

from __future__ import annotations

from typing import Literal

from gateway.users import User

Destination = Literal["rasa"]


def destination(user: User) -> Destination:
    return "rasa"
