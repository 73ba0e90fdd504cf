"""Safety net after the intent classifiers: emergency keywords win over any NLU result.

Config (after FallbackClassifier, so it also overrides `nlu_fallback`):

    - name: saphan_nlu.emergency_keywords.EmergencyKeywords
      min_emergency_confidence: 0.2   # optional; default: off

A message containing a keyword of `content/emergency_keywords.yml` (th, en, my, km, lo) gets
the intent `emergency` with confidence 1.0, whatever the classifier said. With
`min_emergency_confidence`, a message whose `emergency` probability in the intent ranking
reaches it is `emergency` too, even when another intent ranks first: a missed emergency
costs more than a false one (the threshold is chosen by `make tune-nlu`). A message the
keyword file calls *settled* (a past event, "I am safe now", a rights question, a
hypothetical, with no present-danger phrase; `content.keywords`) is left to the classifier:
neither its keywords nor a low emergency probability make it `emergency`, because those
look-alikes were most of the false alarms (benchmarks/nlu.md). Myanmar, Khmer and
Lao messages are classified like Thai and English ones (trained since issue 18), so the
keyword lists of all five languages matter equally. The matching itself lives in
`content.keywords` (Rasa-free, unit-tested in the app venv).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from content.keywords import load_matcher

EMERGENCY_INTENT = "emergency"
#: Parse-output key naming what fired: keyword or classifier confidence.
OUTPUT_KEY = "safety_net"
#: Config key of the emergency-probability threshold (None: off).
MIN_CONFIDENCE_KEY = "min_emergency_confidence"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyKeywords(GraphComponent):
    """Overrides the intent on emergency keywords and on a likely emergency."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {MIN_CONFIDENCE_KEY: None}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyKeywords:
        return cls(config.get(MIN_CONFIDENCE_KEY))

    def __init__(self, min_emergency_confidence: float | None = None) -> None:
        if min_emergency_confidence is not None and not 0 < min_emergency_confidence <= 1:
            raise ValueError(f"{MIN_CONFIDENCE_KEY} must be in (0, 1], "
                             f"got {min_emergency_confidence!r}")
        self.matcher = load_matcher()
        self.min_emergency_confidence = min_emergency_confidence

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload names its intent itself
            found = self.matcher.assess(text)
            likelihood = self._emergency_confidence(message)
            if found.fires:
                self._override(message, EMERGENCY_INTENT)
                message.set(OUTPUT_KEY, {"keyword": found.keyword}, add_to_output=True)
            elif (self.min_emergency_confidence is not None and not found.settled
                  and likelihood >= self.min_emergency_confidence
                  and (message.get(INTENT) or {}).get("name") != EMERGENCY_INTENT):
                self._override(message, EMERGENCY_INTENT, likelihood)
                message.set(OUTPUT_KEY, {"emergency_confidence": likelihood},
                            add_to_output=True)
        return messages

    @staticmethod
    def _emergency_confidence(message: Message) -> float:
        """The classifier's probability of `emergency` (0.0 when it is not ranked)."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        return next((float(r.get("confidence") or 0.0) for r in ranking
                     if r.get("name") == EMERGENCY_INTENT), 0.0)

    @staticmethod
    def _override(message: Message, intent: str, confidence: float = 1.0) -> None:
        chosen = {"name": intent, "confidence": confidence}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
