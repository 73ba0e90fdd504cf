"""`NormalizedLogisticRegressionClassifier` (Rasa venv): each featurizer's sentence vector
is binary and unit-length, `C` reaches scikit-learn, the training matrix built per featurizer
is the row-by-row one, and the classifier survives persist (plain arrays) +
load with the same predictions."""

from __future__ import annotations

from testsupport.rasa_python import run_in_rasa_python

CHECK = """
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from saphan_nlu.classifier import NormalizedLogisticRegressionClassifier as Clf
from saphan_nlu.classifier import sentence_blocks

def message(text, counts_word, counts_char, intent=None):
    msg = Message(data={TEXT: text, "intent": intent} if intent else {TEXT: text})
    msg.add_features(Features(sp.coo_matrix([counts_char]), "sentence", TEXT, "run_b_char"))
    msg.add_features(Features(sp.coo_matrix([counts_word]), "sentence", TEXT, "run_a_word"))
    msg.add_features(Features(sp.coo_matrix([counts_word, counts_word]), "sequence", TEXT,
                              "run_a_word"))
    return msg

long = message("x", [9, 0, 3], [40, 0, 0, 2])
blocks = sentence_blocks(long)
assert [b.shape[1] for b in blocks] == [3, 4], "word block (run_a) first, sequences left out"
assert np.allclose(blocks[0].toarray(), [[2 ** -0.5, 0, 2 ** -0.5]]), blocks[0].toarray()
assert np.allclose(blocks[1].toarray(), [[2 ** -0.5, 0, 0, 2 ** -0.5]]), blocks[1].toarray()
for b in blocks:
    assert np.isclose(np.linalg.norm(b.toarray()), 1.0)

storage = LocalModelStorage(Path(tempfile.mkdtemp()))
context = ExecutionContext(GraphSchema({}), "test")
resource = Resource("clf")
config = {**Clf.get_default_config(), "C": 30}
clf = Clf.create(config, storage, resource, context)
assert clf.clf.C == 30.0
training = TrainingData(training_examples=[
    message("help", [1, 0, 0], [1, 1, 0, 0], "emergency"),
    message("help!", [5, 0, 0], [9, 9, 0, 0], "emergency"),
    message("hi", [0, 1, 0], [0, 0, 1, 0], "greet"),
    message("hello", [0, 2, 0], [0, 0, 3, 0], "greet"),
    message("bye", [0, 0, 1], [0, 0, 0, 1], "goodbye"),
    message("bye bye", [0, 0, 4], [0, 0, 0, 6], "goodbye"),
])
clf.train(training)
def intent(component, word, char):
    msg = message("?", word, char)
    component.process([msg])
    return msg.get("intent")
# counts do not matter, only which features occur
assert intent(clf, [30, 0, 0], [50, 50, 0, 0])["name"] == "emergency"
assert intent(clf, [0, 0, 1], [0, 0, 0, 1])["name"] == "goodbye"
loaded = Clf.load(config, storage, resource, context)
assert loaded.clf.C == 30.0
assert intent(loaded, [0, 1, 0], [0, 0, 1, 0]) == intent(clf, [0, 1, 0], [0, 0, 1, 0])
X = clf._create_X(training.training_examples)
assert np.array_equal(loaded.clf.predict_proba(X), clf.clf.predict_proba(X))
with storage.read_from(resource) as directory:
    assert sorted(p.name for p in directory.iterdir()) == ["weights.npz"], "no pickle/skops"

# the training matrix built per featurizer is the row-by-row one, bit for bit (duplicate
# coo entries, empty rows, unsorted columns included)
rng = np.random.default_rng(0)
def random_message(i):
    msg = Message(data={TEXT: str(i)})
    for origin, width in (("run_b_char", 50), ("run_a_word", 20)):
        n = int(rng.integers(0, 6))
        rows, cols = np.zeros(n, dtype=int), rng.integers(0, width, n)
        msg.add_features(Features(sp.coo_matrix((rng.integers(1, 4, n), (rows, cols)),
                                                shape=(1, width)), "sentence", TEXT, origin))
    return msg
messages = [random_message(i) for i in range(200)]
fast = clf._create_X(messages)
slow = sp.vstack([sp.hstack(sentence_blocks(m), format="csr") for m in messages], format="csr")
for name in ("indptr", "indices", "data"):
    assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
assert fast.shape == slow.shape
print("classifier ok")
"""


def test_features_are_binary_unit_length_per_featurizer_and_c_is_used() -> None:
    assert "classifier ok" in run_in_rasa_python(CHECK)
