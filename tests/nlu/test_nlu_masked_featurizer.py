"""`EntityMaskedCountVectorsFeaturizer` (Rasa venv): tokens inside a known name become
`__<entity>__`, one per token, and the names survive persist + load with the vocabulary."""

from __future__ import annotations

from testsupport.rasa_python import run_in_rasa_python

CHECK = """
import tempfile
from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from saphan_nlu.featurizers import EntityMaskedCountVectorsFeaturizer as Masked
from saphan_nlu.thai_tokenizer import ThaiTokenizer

storage = LocalModelStorage(Path(tempfile.mkdtemp()))
context = ExecutionContext(GraphSchema({}), "test")
tokenizer = ThaiTokenizer(ThaiTokenizer.get_default_config())
config = {**Masked.get_default_config(), "max_ngram": 2}

def message(text, intent=None, entities=()):
    data = {TEXT: text, "intent": intent} if intent else {TEXT: text}
    if entities:
        data["entities"] = [dict(e) for e in entities]
    return Message(data=data)

training = TrainingData(
    training_examples=[
        message("หาที่พักในชลบุรีค่ะ", "find_service"),
        message("need a lawyer in Mae Sot", "find_service",
                [{"entity": "province", "value": "Tak", "start": 17, "end": 24}]),
    ],
    entity_synonyms={"ชลบุรี": "Chon Buri", "lawyer": "legal_aid"},
    lookup_tables=[{"name": "province", "elements": ["ชลบุรี"]},
                   {"name": "service_type", "elements": ["lawyer", "ที่พัก"]}],
)
tokenizer.process_training_data(training)
resource = Resource("masked")
featurizer = Masked.create(config, storage, resource, context)
featurizer.train(training)

def words(component, text):
    msg = message(text)
    tokenizer.process([msg])
    return component._get_processed_message_tokens_by_attribute(msg, TEXT)

got = words(featurizer, "ขอที่พักในชลบุรีหน่อย")
assert got == ["ขอ", "__service_type__", "ใน", "__province__", "หน่อย"], got
got = words(featurizer, "a lawyer near mae sot pls")
assert got == ["a", "__service_type__", "near", "__province__", "__province__", "pls"], got
assert words(featurizer, "no names here") == ["no", "names", "here"]
assert "__province__ __service_type__" not in featurizer.vectorizers[TEXT].vocabulary_
assert "ใน __province__" in featurizer.vectorizers[TEXT].vocabulary_

loaded = Masked.load(config, storage, resource, context)
assert words(loaded, "ขอที่พักในชลบุรีหน่อย") == words(featurizer, "ขอที่พักในชลบุรีหน่อย")
msg = message("ขอที่พักในชลบุรีหน่อย")
tokenizer.process([msg])
loaded.process([msg])
assert msg.features, "no features"
print("masked ok")
"""


def test_known_names_become_entity_placeholders_and_survive_persist_and_load() -> None:
    assert "masked ok" in run_in_rasa_python(CHECK)
