"""Deterministic entity extractor giving canonical values (province, service_type, language).

Config name: `saphan_nlu.lookup_entities.LookupEntityExtractor`, option `entities` (the
entity names to extract). Training builds the alias table from the training data: each
lookup table named like an entity lists its aliases, and synonyms give each alias its
canonical value (both generated into nlu_data/train/gazetteer.yml); entity annotations in
the examples add their text as aliases too. Matching is `saphan_nlu.gazetteer.Gazetteer`:
token-aligned, longest match first. Output entities carry the canonical `value`.
"""

from __future__ import annotations

from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from saphan_nlu.gazetteer import Gazetteer, alias_key

FILE_NAME = "gazetteer.json"


def save_gazetteer(model_storage: ModelStorage, resource: Resource, gazetteer: Gazetteer) -> None:
    """Store a component's gazetteer in its model resource."""
    with model_storage.write_to(resource) as directory:
        rasa.shared.utils.io.dump_obj_as_json_to_file(directory / FILE_NAME, gazetteer.entries())


def load_gazetteer(model_storage: ModelStorage, resource: Resource) -> Gazetteer:
    """The gazetteer stored by `save_gazetteer`; raises ValueError/FileNotFoundError when the
    resource holds none (the component was not trained)."""
    with model_storage.read_from(resource) as directory:
        entries = rasa.shared.utils.io.read_json_file(directory / FILE_NAME)
    return Gazetteer(tuple(e) for e in entries)


def gazetteer_entries(
    training_data: TrainingData, entities: list[str]
) -> list[tuple[str, str, str]]:
    """(alias, entity, canonical value) for `entities`, from the training data's lookup
    tables (values through its synonyms) and the texts of its entity annotations."""
    wanted = set(entities)
    synonyms = {alias_key(k): v for k, v in training_data.entity_synonyms.items()}
    entries: list[tuple[str, str, str]] = []
    for table in training_data.lookup_tables:
        if table["name"] in wanted:
            for alias in table["elements"]:
                value = synonyms.get(alias_key(alias), alias)
                entries.append((alias, table["name"], value))
    for example in training_data.entity_examples:
        for entity in example.get(ENTITIES, []):
            if entity["entity"] in wanted:
                alias = example.get(TEXT)[entity["start"] : entity["end"]]
                value = entity.get("value", alias)
                value = synonyms.get(alias_key(value), value)
                entries.append((alias, entity["entity"], value))
    return entries


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class LookupEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds known names in the message and returns them with their canonical values."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"entities": ["province", "service_type", "language"]}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer([])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LookupEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        entries = gazetteer_entries(training_data, self._config["entities"])
        self.gazetteer = Gazetteer(entries)
        save_gazetteer(self._model_storage, self._resource, self.gazetteer)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LookupEntityExtractor:
        return cls(config, model_storage, resource, load_gazetteer(model_storage, resource))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = [
                {
                    "entity": m.entity,
                    "value": m.value,
                    "start": m.start,
                    "end": m.end,
                    "confidence_entity": 1.0,
                }
                for m in self.gazetteer.find(message.get(TEXT) or "")
            ]
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages
