"""Do two NLU models predict the same? (A speed-up of training must not change the model.)

Parses every training message (nlu_data/train; never the blind test split) with both
models and counts the messages whose intent, intent confidence (beyond --tol), intent
ranking or entities (entity, value, start, end) differ. Prints the counts; exits 1 on any
difference.

Run with the Rasa venv:
    PYTHONPATH=bot:. .venv-rasa/bin/python scripts/compare_models.py A.tar.gz B.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "nlu_data" / "train"


def summary(parsed: dict) -> tuple:
    """What a parse predicts: intent, confidence, ranking and entities."""
    ranking = tuple((r["name"], float(r["confidence"])) for r in parsed.get("intent_ranking", []))
    entities = tuple(sorted(
        (e["entity"], str(e.get("value")), e.get("start"), e.get("end"))
        for e in parsed.get("entities", [])
    ))
    intent = parsed["intent"]
    return intent["name"], float(intent["confidence"]), ranking, entities


def differences(a: tuple, b: tuple, tol: float) -> set[str]:
    """The kinds of difference between two summaries."""
    kinds = set()
    if a[0] != b[0]:
        kinds.add("intent")
    if abs(a[1] - b[1]) > tol:
        kinds.add("confidence")
    if [n for n, _ in a[2]] != [n for n, _ in b[2]] or any(
        abs(x - y) > tol for (_, x), (_, y) in zip(a[2], b[2], strict=True)
    ):
        kinds.add("ranking")
    if a[3] != b[3]:
        kinds.add("entities")
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_a")
    parser.add_argument("model_b")
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    import structlog
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [m.get("text") for m in load_data(str(TRAIN)).intent_examples]
    agents = [Agent.load(args.model_a), Agent.load(args.model_b)]
    # Rasa logs every parse (with its text) through structlog at debug level
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    loop = asyncio.new_event_loop()
    counts: dict[str, int] = {}
    max_delta = 0.0
    for text in texts:
        a, b = (summary(loop.run_until_complete(agent.parse_message(text))) for agent in agents)
        max_delta = max(max_delta, abs(a[1] - b[1]))
        for kind in differences(a, b, args.tol):
            counts[kind] = counts.get(kind, 0) + 1
    print(f"messages parsed: {len(texts)} (nlu_data/train)")
    print(f"max |confidence difference|: {max_delta:.3g} (tolerance {args.tol:g})")
    for kind in ("intent", "confidence", "ranking", "entities"):
        print(f"messages with a different {kind}: {counts.get(kind, 0)}")
    return 1 if counts else 0


if __name__ == "__main__":
    sys.exit(main())
