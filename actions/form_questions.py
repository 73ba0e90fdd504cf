"""Every question a form (or rule) asks, in one table, served by one generic ask action.

Rasa asks for a form's next slot with the action `action_ask_<slot>`, else the response
`utter_ask_<slot>`. Responses would copy the texts into the domain and could pick a language
only by a slot, while ours live in the text catalogue and the reply language is decided per
turn (`actions.conversation.user_language`, `screening_language` for officers). So each
question is a small function rendering catalogue texts, and `AskQuestion` serves
`action_ask_<slot>` for every slot in `QUESTIONS`. The domain lists the same names
(tests/conversations/test_form_questions.py checks they agree).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import delete_data, find_service, report, screening_actions

Ask = Callable[[CollectingDispatcher, Tracker], None]

#: Slot -> the function sending its question.
QUESTIONS: dict[str, Ask] = {
    "service_type": find_service.ask_service_type,
    "province": find_service.ask_place,
    **{slot: partial(report.ask_question, slot) for slot in report.QUESTIONS},
    "delete_confirmation": delete_data.ask_delete_confirmation,  # asked by a rule, no slot
    "screening_code": screening_actions.ask_code,
    "screening_reply": screening_actions.ask_reply,
}


class AskQuestion(Action, ABC):
    """`action_ask_<slot>`: sends the question of `slot` from `QUESTIONS`."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        QUESTIONS[self.slot](dispatcher, tracker)
        return []


def _ask_action(slot: str) -> type[AskQuestion]:
    action = type(f"AskQuestion_{slot}", (AskQuestion,), {"slot": slot, "__module__": __name__})
    globals()[action.__name__] = action  # Sanic pickles actions by module attribute for its workers
    return action


#: rasa-sdk registers one `Action` class per action name (it scans the subclasses of `Action`),
#: so each question gets a small subclass, made from the table.
ASK_ACTIONS: tuple[type[AskQuestion], ...] = tuple(_ask_action(slot) for slot in QUESTIONS)
