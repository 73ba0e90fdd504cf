"""scripts/tune_nlu.py: the threshold sweeps and folds the thresholds of bot/config.yml
are read from."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from saphan.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import tune_nlu


def example(intent: str, lang: str = "en") -> dict:
    return {"text": "…", "intent": intent, "entities": [], "lang": lang}


def result(intent: str, emergency: float, raw: float = 0.6) -> dict:
    return {"intent": intent, "raw_intent": intent, "raw_confidence": raw,
            "emergency_confidence": emergency}


def test_emergency_sweep_trades_missed_emergencies_for_false_alarms() -> None:
    examples = [example("emergency", "th"), example("emergency"), example("emergency"),
                example("find_service"), example("greet")]
    results = [result("emergency", 0.9), result("report_exploitation", 0.3),
               result("ask_rights", 0.12), result("find_service", 0.22), result("greet", 0.01)]
    rows = {row["threshold"]: row for row in tune_nlu.emergency_sweep(examples, results)}
    assert rows[None]["recall_all"] == 1 / 3 and rows[None]["false_alarms"] == 0
    assert rows[0.3]["missed_en"] == 1 and rows[0.3]["recall_th"] == 1.0
    assert rows[0.2]["missed_all"] == 1 and rows[0.2]["false_alarms"] == 1
    assert rows[0.2]["false_from"] == [("find_service", 1)]
    assert rows[0.1]["missed_all"] == 0 and rows[0.1]["accuracy"] == 4 / 5


def test_fallback_sweep_counts_errors_caught_and_emergencies_lost() -> None:
    examples = [example("emergency"), example("greet"), example("thank")]
    results = [result("emergency", 0.2, raw=0.2), result("thank", 0.0, raw=0.3),
               result("thank", 0.0, raw=0.9)]
    rows = {row["threshold"]: row for row in tune_nlu.fallback_sweep(examples, results)}
    assert rows[0.1]["fallback_rate"] == 0 and rows[0.1]["errors_caught"] == 0
    assert rows[0.25]["emergencies_to_fallback"] == 1
    assert rows[0.4]["errors_caught"] == 1.0 and rows[0.4]["answered_accuracy"] == 1.0


def test_folds_are_stable_and_all_used() -> None:
    texts = [f"message {i}" for i in range(200)]
    folds = [tune_nlu.fold_of(t, 5) for t in texts]
    assert folds == [tune_nlu.fold_of(t, 5) for t in texts]
    assert set(folds) == set(range(5))


def test_the_tuned_config_has_the_emergency_rule_switched_off(tmp_path: Path) -> None:
    shipped = yaml.safe_load(tune_nlu.bench.OURS.read_text(encoding="utf-8"))
    tuned = yaml.safe_load(tune_nlu.config_without_emergency_threshold(tmp_path)
                           .read_text(encoding="utf-8"))
    rule = [c for c in tuned["pipeline"] if c["name"] == tune_nlu.EMERGENCY_COMPONENT]
    assert rule and "min_emergency_confidence" not in rule[0]
    assert [c["name"] for c in tuned["pipeline"]] == [c["name"] for c in shipped["pipeline"]]


def test_bench_reports_the_emergency_false_alarm_rate_per_group() -> None:
    """Issue 19 pt 6: non-emergency messages answered as `emergency`, per language and all."""
    examples = [example("emergency", "th"), example("greet", "th"), example("find_service"),
                example("ask_rights"), example("emergency")]
    results = [{"intent": intent, "entities": [], "language": "en"}
               for intent in ("emergency", "emergency", "find_service", "ask_rights", "greet")]
    metrics = tune_nlu.bench.metrics(examples, results)
    assert metrics["th"]["false_alarm_rate"] == 1.0 and metrics["th"]["false_alarms"] == 1
    assert metrics["en"]["false_alarm_rate"] == 0.0
    assert metrics["all"]["false_alarm_rate"] == 1 / 3
    assert metrics["all"]["emergency_recall"] == 1 / 2
