"""A CountVectorsFeaturizer whose word analyzer keeps Thai words whole.

Rasa's CountVectorsFeaturizer joins the tokenizer's tokens with spaces and re-splits them
with scikit-learn's `token_pattern=r"(?u)\\b\\w+\\b"`. Thai vowel and tone marks (Unicode
category Mn) are not `\\w`, so "ไม่จ่ายเงิน" tokenized as ไม่|จ่าย|เงิน becomes the features
ไม|จ|าย|เง|น: words are cut at every mark (shown by tests/nlu/test_nlu_segment.py).
Here the vectorizers split on whitespace only, so each feature is exactly one token.

Config name: `saphan_nlu.featurizers.ThaiCountVectorsFeaturizer` (same options as
CountVectorsFeaturizer; with analyzer char/char_wb it behaves exactly like the original).

`saphan_nlu.featurizers.EntityMaskedCountVectorsFeaturizer` (option `entities`) counts words
and word n-grams with every known name replaced by its entity type: "shelter in ชลบุรี" is
seen as shelter|in|__province__, so "a shelter in <any province>" is one pattern, and a
province never learnt in a given intent does not pull the message elsewhere.
"""

from __future__ import annotations

import contextlib
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from saphan_nlu.gazetteer import Gazetteer
from saphan_nlu.lookup_entities import gazetteer_entries, load_gazetteer, save_gazetteer
from saphan_nlu.segment import WORD_TOKEN_PATTERN


def _whole_tokens(vectorizers: dict[str, CountVectorizer]) -> dict[str, CountVectorizer]:
    for vectorizer in vectorizers.values():
        if vectorizer.analyzer == "word":
            vectorizer.token_pattern = WORD_TOKEN_PATTERN
    return vectorizers


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class ThaiCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Bag-of-words/char n-grams where a word feature is a whole (Thai) token."""

    @classmethod
    def _create_shared_vocab_vectorizers(
        cls, parameters: dict[str, Any], vocabulary: Any | None = None
    ) -> dict[str, CountVectorizer]:
        return _whole_tokens(super()._create_shared_vocab_vectorizers(parameters, vocabulary))

    @classmethod
    def _create_independent_vocab_vectorizers(
        cls, parameters: dict[str, Any], vocabulary: Any | None = None
    ) -> dict[str, CountVectorizer]:
        return _whole_tokens(
            super()._create_independent_vocab_vectorizers(parameters, vocabulary)
        )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class EntityMaskedCountVectorsFeaturizer(ThaiCountVectorsFeaturizer):
    """Word (n-gram) counts where each token inside a known name becomes `__<entity>__`.

    The names are the training data's gazetteer (`lookup_entities.gazetteer_entries`), saved
    with the vocabulary. One placeholder per token, so sequence features stay aligned."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **ThaiCountVectorsFeaturizer.get_default_config(),
            "entities": ["province", "service_type", "language"],
        }

    def __init__(self, config: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.gazetteer = Gazetteer([])

    def train(self, training_data: TrainingData, model: Any = None) -> Resource:
        entries = gazetteer_entries(training_data, self._config["entities"])
        self.gazetteer = Gazetteer(entries)
        return super().train(training_data, model)

    def persist(self) -> None:
        super().persist()
        save_gazetteer(self._model_storage, self._resource, self.gazetteer)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EntityMaskedCountVectorsFeaturizer:
        featurizer = super().load(config, model_storage, resource, execution_context, **kwargs)
        with contextlib.suppress(ValueError, FileNotFoundError):  # untrained: keep it empty
            featurizer.gazetteer = load_gazetteer(model_storage, resource)
        return featurizer

    def _get_message_tokens_by_attribute(self, message: Message, attribute: str) -> list[str]:
        words = super()._get_message_tokens_by_attribute(message, attribute)
        if attribute != TEXT or not words:
            return words
        tokens = message.get(TOKENS_NAMES[TEXT])
        matches = self.gazetteer.find(message.get(TEXT) or "")
        for i, token in enumerate(tokens):
            for match in matches:
                if token.start < match.end and match.start < token.end:
                    words[i] = f"__{match.entity}__"
                    break
        return words
