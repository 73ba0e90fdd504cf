"""Rasa tokenizer for Thai, English and mixed messages, built on PyThaiNLP newmm.

Config name: `saphan_nlu.thai_tokenizer.ThaiTokenizer`. Token texts are normalised words
(see `saphan_nlu.segment`); token offsets index the original message text.

Tokens remember their fingerprint: Rasa's training hooks fingerprint every node's output,
all tokens of all messages again after each component (~5 % of `rasa train nlu`).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from saphan_nlu.segment import segment


class FingerprintedToken(Token):
    """A `Token` whose fingerprint is computed once per (text, start, end, lemma) while it
    carries no data (with data, Rasa's fingerprint every time: data may change in place)."""

    _fingerprint: tuple[tuple[Any, ...], str] | None = None

    def fingerprint(self) -> str:
        if self.data:
            return super().fingerprint()
        key = (self.text, self.start, self.end, self.lemma)
        if self._fingerprint is None or self._fingerprint[0] != key:
            self._fingerprint = (key, super().fingerprint())
        return self._fingerprint[1]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class ThaiTokenizer(Tokenizer):
    """Dictionary-based (newmm) word tokenizer; drops whitespace and punctuation."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        return None  # any: Thai, English and mixed text

    @staticmethod
    def required_packages() -> list[str]:
        return ["pythainlp"]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        tokens = [FingerprintedToken(s.text, s.start, s.end) for s in segment(text)]
        if not tokens and text.strip():
            # only punctuation ("???"): one token so featurizers still see something
            stripped = text.strip()
            start = text.index(stripped)
            tokens = [FingerprintedToken(stripped, start, start + len(stripped))]
        return self._apply_token_pattern(tokens)
