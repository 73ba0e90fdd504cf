"""Adds the message's language (`th`, `en`, `my`, `km`, `lo`) to every parse.

Config name: `saphan_nlu.language_detector.LanguageDetector`. The value comes from
`saphan.language.detect_language` (by script, so Myanmar, Khmer and Lao are detected with
no training data) and is part of Rasa's parse output under the key `language`:

    POST /model/parse {"text": "ကူညီပါ"}  ->  {..., "language": "my"}

A message with no letters (emoji, digits) has no language: Rasa then leaves the key out
(None values are not output), so keep the conversation's previous language. Actions read it
from the latest user message:

    lang = tracker.latest_message.get("language") or language_used_so_far or "th"
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from saphan.language import detect_language

#: The parse-output key holding the detected language.
OUTPUT_KEY = "language"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class LanguageDetector(GraphComponent):
    """Script-based language of the message text."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            message.set(OUTPUT_KEY, detect_language(message.get(TEXT)), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
