"""Training/test data contract: intents, per-language volume, held-out split."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from content.keywords import load_matcher
from saphan.language import detect_language
from saphan.paths import BOT_DIR, NLU_DATA_DIR

# [text](entity) or [text]{"entity": "entity", "value": "canonical"}
ANNOTATION = re.compile(r'\[([^\]]+)\](?:\((\w+)\)|\{"entity": *"(\w+)"[^}]*\})')
ENTITIES = {"service_type", "province", "language"}


def examples(directory: Path) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(intent, plain text, [(annotated text, entity)]) of every example in directory."""
    out = []
    for path in sorted(directory.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                if line.startswith("- "):
                    raw = line[2:].strip()
                    plain = ANNOTATION.sub(lambda m: m.group(1), raw)
                    ents = [(m.group(1), m.group(2) or m.group(3))
                            for m in ANNOTATION.finditer(raw)]
                    out.append((item["intent"], plain, ents))
    return out


def domain_intents() -> set[str]:
    domain = yaml.safe_load((BOT_DIR / "domain" / "core.yml").read_text(encoding="utf-8"))
    return set(domain["intents"])


def test_every_intent_has_30_thai_and_20_english_training_examples() -> None:
    counts = Counter(
        (intent, "th" if detect_language(text) == "th" else "en")
        for intent, text, _ in examples(NLU_DATA_DIR / "train")
    )
    for intent in domain_intents():
        assert counts[(intent, "th")] >= 30, intent
        assert counts[(intent, "en")] >= 20, intent


def test_held_out_split_is_large_enough_and_disjoint() -> None:
    train = examples(NLU_DATA_DIR / "train")
    test = examples(NLU_DATA_DIR / "test")
    assert len(test) / (len(train) + len(test)) >= 0.15
    train_texts = {" ".join(text.lower().split()) for _, text, _ in train}
    assert not [text for _, text, _ in test if " ".join(text.lower().split()) in train_texts]
    assert {intent for intent, _, _ in test} == domain_intents()


def test_test_split_has_no_lookup_tables_or_synonyms() -> None:
    for path in (NLU_DATA_DIR / "test").glob("*.yml"):
        items = yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        assert all("intent" in item for item in items), path


def test_annotations_use_contract_entities_and_no_example_is_in_two_intents() -> None:
    seen: dict[str, str] = {}
    for directory in ("train", "test"):
        for intent, text, ents in examples(NLU_DATA_DIR / directory):
            assert {e for _, e in ents} <= ENTITIES, text
            assert seen.setdefault(text.lower(), intent) == intent, text


def test_no_emergency_keyword_fires_on_another_intents_training_message() -> None:
    """The safety net overrides the classifier, so a keyword found in a message labelled
    otherwise would be a false alarm on every message like it."""
    matcher = load_matcher()
    fired = [(intent, text, matcher.match(text))
             for intent, text, _ in examples(NLU_DATA_DIR / "train")
             if intent != "emergency" and matcher.match(text)]
    assert not fired
