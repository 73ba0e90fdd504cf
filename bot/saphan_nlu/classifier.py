"""Logistic regression on binary, per-featurizer L2-normalised sentence features.

Config:

    - name: saphan_nlu.classifier.NormalizedLogisticRegressionClassifier
      C: 100
      max_iter: 500

Rasa's LogisticRegressionClassifier feeds raw summed counts to scikit-learn and has no `C`:
a long message then weighs many times more than a short one, and the char n-gram block
drowns the word block. Here each featurizer's sentence vector is made binary (does the
word / n-gram occur) and scaled to unit length on its own, and `C` reaches scikit-learn.
Chosen by cross-validation on the training data (benchmarks/nlu_tuning.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.preprocessing import normalize


def sentence_blocks(message: Message) -> list[csr_matrix]:
    """The message's text sentence features, one binary unit-length row per featurizer
    (ordered by featurizer name, so training and parsing agree)."""
    features = sorted(
        (f for f in message.features
         if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE),
        key=lambda f: str(f.origin),
    )
    blocks = []
    for feature in features:
        row = csr_matrix(feature.features, dtype=np.float64)
        if feature.is_sparse():
            row.data[:] = 1.0
        blocks.append(normalize(row))
    return blocks


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NormalizedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier with normalised features and `C`."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: dict[str, Any], *args: Any) -> None:
        super().__init__(config, *args)
        self.clf.set_params(C=float(self.config["C"]))

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        rows = []
        for message in messages:
            blocks = sentence_blocks(message)
            if not blocks:
                raise ValueError("no sentence features: put featurizers before the classifier")
            rows.append(hstack(blocks, format="csr"))
        return vstack(rows, format="csr")
