"""Know your rights: answers from `content/rights.yml` with their legal source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import buttons, say, user_language
from content.catalogue import text
from content.rights import RIGHTS_LANGUAGES, find_topic, is_generic, load_rights, topic_buttons

#: The entity of a topic button's payload (`topic_buttons`): the topic's name.
TOPIC_ENTITY = "rights_topic"


class ActionAnswerRights(Action):
    """The matching answer + source + review date; otherwise the topics as buttons (one tap
    gives that topic's answer, whatever the language) and a person, after "no reliable answer"
    only when the question named a subject no topic covers (`is_generic` tells "What are my
    rights?" from "What are my rights if I am pregnant?")."""

    def name(self) -> str:
        return "action_answer_rights"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        language = user_language(tracker)
        answer_language = language if language in RIGHTS_LANGUAGES else "en"
        person = buttons(language, ("btn_person", "/request_human"))
        question = str(tracker.latest_message.get("text") or "")
        tapped = next(tracker.get_latest_entity_values(TOPIC_ENTITY), None)
        if tapped is not None:
            topic = load_rights().get(str(tapped))
        else:
            topic = None if question.startswith("/") else find_topic(question)
        if topic is None:
            if not question.startswith("/") and not is_generic(question):
                say(dispatcher, "rights_unknown", language)
            say(dispatcher, "rights_topics", language,
                [*topic_buttons(language, TOPIC_ENTITY), *person])
            return []
        parts = [topic.answer_in(answer_language),
                 text("bot", "rights_source", language, source=topic.source,
                      reviewed=topic.last_reviewed)]
        if not topic.verified:
            parts.append(text("bot", "rights_unverified", language))
        dispatcher.utter_message(text="\n\n".join(parts), buttons=person)
        return []
