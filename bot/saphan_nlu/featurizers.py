"""A CountVectorsFeaturizer whose word analyzer keeps Thai words whole.

Rasa's CountVectorsFeaturizer joins the tokenizer's tokens with spaces and re-splits them
with scikit-learn's `token_pattern=r"(?u)\\b\\w+\\b"`. Thai vowel and tone marks (Unicode
category Mn) are not `\\w`, so "ไม่จ่ายเงิน" tokenized as ไม่|จ่าย|เงิน becomes the features
ไม|จ|าย|เง|น: words are cut at every mark (shown by tests/nlu/test_nlu_segment.py).
Here the vectorizers split on whitespace only, so each feature is exactly one token.

Config name: `saphan_nlu.featurizers.ThaiCountVectorsFeaturizer` (same options as
CountVectorsFeaturizer; with analyzer char/char_wb it behaves exactly like the original).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from sklearn.feature_extraction.text import CountVectorizer

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
