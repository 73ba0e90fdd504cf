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

Training speed (benchmarks/nlu_round3_issue18.md, "Training time (round 3)"): the training
matrix is built one featurizer block at a time for all messages (the same matrix, bit for
bit, as row by row), and the fitted weights are stored as a plain `.npz` of arrays instead
of skops, whose import alone scans every loaded module per numpy ufunc (~4 s CPU in Rasa).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.preprocessing import normalize

#: The fitted model's arrays, in the component's resource (instead of Rasa's `.skops`).
WEIGHTS_FILE = "weights.npz"
WEIGHTS = ("coef_", "intercept_", "classes_", "n_iter_")


def _sentence_features(message: Message) -> list[Features]:
    """The message's text sentence features ordered by featurizer name (training and
    parsing agree on the column order)."""
    return sorted(
        (f for f in message.features
         if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE),
        key=lambda f: str(f.origin),
    )


def _binary_unit_rows(matrix: Any, sparse: bool) -> csr_matrix:
    rows = csr_matrix(matrix, dtype=np.float64)
    if sparse:
        rows.data[:] = 1.0
    return normalize(rows)


def sentence_blocks(message: Message) -> list[csr_matrix]:
    """The message's text sentence features, one binary unit-length row per featurizer
    (ordered by featurizer name, so training and parsing agree)."""
    return [_binary_unit_rows(f.features, f.is_sparse()) for f in _sentence_features(message)]


def stacked_blocks(messages: list[Message]) -> csr_matrix | None:
    """`sentence_blocks` of all messages as one matrix, built per featurizer (a few large
    scipy calls instead of several per message); None unless every message has the same
    sparse featurizers."""
    features = [_sentence_features(m) for m in messages]
    origins = {tuple(str(f.origin) for f in fs) for fs in features}
    if len(origins) != 1 or not features[0] or not all(
        f.is_sparse() for fs in features for f in fs
    ):
        return None
    blocks = [
        _binary_unit_rows(vstack([fs[j].features for fs in features], format="csr"), True)
        for j in range(len(features[0]))
    ]
    return hstack(blocks, format="csr")


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
        stacked = stacked_blocks(messages) if messages else None
        if stacked is not None:
            return stacked
        rows = []
        for message in messages:
            blocks = sentence_blocks(message)
            if not blocks:
                raise ValueError("no sentence features: put featurizers before the classifier")
            rows.append(hstack(blocks, format="csr"))
        return vstack(rows, format="csr")

    def persist(self) -> None:
        """Store the fitted arrays (no pickle, no skops: plain numpy arrays)."""
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / WEIGHTS_FILE, **{a: getattr(self.clf, a) for a in WEIGHTS})

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NormalizedLogisticRegressionClassifier:
        """The classifier stored by `persist` (a model from before it: Rasa's skops load)."""
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / WEIGHTS_FILE
                if not path.exists():
                    return super().load(config, model_storage, resource, execution_context)
                with np.load(path, allow_pickle=False) as arrays:
                    weights = {a: arrays[a] for a in WEIGHTS}
        except ValueError:  # resource never written: untrained, as Rasa's load does
            return cls.create(config, model_storage, resource, execution_context)
        component = cls(config, execution_context.node_name, model_storage, resource)
        for name, value in weights.items():
            setattr(component.clf, name, value)
        component.clf.n_features_in_ = weights["coef_"].shape[1]
        return component
