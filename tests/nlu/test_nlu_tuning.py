"""scripts/tune_nlu.py: the threshold sweeps and folds the thresholds of bot/config.yml
are read from."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
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


def ranked(top: str, top_c: float, second: str, second_c: float,
           emergency: float = 0.0, final: str | None = None) -> dict:
    return {"intent": final or top, "raw_intent": top, "raw_confidence": top_c,
            "second_intent": second, "second_confidence": second_c,
            "emergency_confidence": emergency}


@pytest.mark.parametrize(("result", "settled", "expected"), [
    (ranked("find_service", 0.45, "report_exploitation", 0.40), False, "ask"),
    (ranked("find_service", 0.45, "report_exploitation", 0.30), False, "act"),
    (ranked("thank", 0.45, "goodbye", 0.40), False, "fallback"),  # no choice to offer
    (ranked("find_service", 0.25, "report_exploitation", 0.24), False, "fallback"),  # unsure
    # may be an emergency: answered as one, never asked
    (ranked("report_exploitation", 0.4, "find_service", 0.36, emergency=0.22), False,
     "emergency"),
    (ranked("report_exploitation", 0.4, "find_service", 0.36, final="emergency"), False,
     "emergency"),  # keyword
    # a settled past event: the probability rule does not fire, so the question is asked
    (ranked("report_exploitation", 0.4, "find_service", 0.36, emergency=0.22), True, "ask"),
])
def test_outcome_of_a_message_at_a_margin(result: dict, settled: bool, expected: str) -> None:
    assert tune_nlu.outcome(result, 0.1, 0.3, 0.2, settled) == expected


def test_ambiguity_sweep_counts_questions_and_wrong_actions() -> None:
    examples = [example("report_exploitation"), example("find_service", "th"),
                example("ask_rights"), example("greet")]
    results = [ranked("find_service", 0.45, "report_exploitation", 0.40),  # wrong, close
               ranked("find_service", 0.50, "ask_rights", 0.42),  # right, close
               ranked("ask_rights", 0.9, "report_exploitation", 0.05),  # right, clear
               ranked("thank", 0.6, "greet", 0.35)]  # wrong, clear at 0.1
    rows = {r["margin"]: r for r in tune_nlu.ambiguity_sweep(examples, results, [False] * 4,
                                                              0.3, 0.2)}
    assert rows[0.0]["all"]["asked"] == 0 and rows[0.0]["all"]["wrong"] == 2
    assert rows[0.1]["all"] | {"n": 4} == {
        "n": 4, "asked": 2, "right_anyway": 1, "offered": 2, "fallbacks": 0, "wrong": 1,
        "emergencies_asked": 0,
        "ask_rate": 0.5, "wrong_rate": 0.25}
    assert rows[0.1]["th"]["asked"] == 1 and rows[0.1]["th"]["wrong"] == 0
    assert rows[0.3]["all"]["wrong"] == 0 and rows[0.3]["all"]["fallbacks"] == 1


def test_bench_reports_wrong_actions_and_clarifying_questions() -> None:
    """nlu_fallback is no action taken; a question is asked only between two offerable
    intents that were too close."""
    examples = [example("report_exploitation"), example("find_service"), example("greet"),
                example("thank")]
    results = [{**ranked("find_service", 0.45, "report_exploitation", 0.4, final="nlu_fallback"),
                "ambiguous": True},
               {**ranked("thank", 0.45, "goodbye", 0.4, final="nlu_fallback"),
                "ambiguous": True},
               {**ranked("thank", 0.8, "greet", 0.1), "ambiguous": False},
               {**ranked("thank", 0.2, "greet", 0.1, final="nlu_fallback"), "ambiguous": False}]
    for r in results:
        r.update(entities=[], language="en")
    metrics = tune_nlu.bench.metrics(examples, results)["all"]
    assert metrics["wrong_action_rate"] == 1 / 4 and metrics["clarification_rate"] == 1 / 4
    assert metrics["accuracy"] == 0.0


def test_the_ambiguity_section_reads_the_shipped_thresholds_and_lists_every_margin() -> None:
    examples = [{**example("report_exploitation"), "text": "my boss kept my passport"},
                {**example("find_service", "th"), "text": "หาที่พัก"}]
    results = [ranked("find_service", 0.45, "report_exploitation", 0.40),
               ranked("find_service", 0.9, "ask_rights", 0.05)]
    lines = tune_nlu.ambiguity_section(examples, results)
    fallback, emergency = tune_nlu.shipped_thresholds()
    assert f"fallback {fallback}, emergency probability {emergency}" in " ".join(lines)
    rows = [line for line in lines if line.startswith("| 0")]
    assert [row.split(" | ")[0] for row in rows] == [f"| {m}" for m in tune_nlu.AMBIGUITY_MARGINS]
    assert rows[0].split(" | ")[1] == "0 (0.000)" and rows[2].split(" | ")[1] == "1 (0.500)"


def test_the_margin_rule_weighs_wrong_actions_avoided_against_interruptions() -> None:
    def row(margin: float, asked: int, fallbacks: int, wrong: int, emergencies: int = 0) -> dict:
        return {"margin": margin, "all": {"asked": asked, "fallbacks": fallbacks,
                                          "wrong": wrong, "emergencies_asked": emergencies}}

    # vs margin 0: 0.05 avoids 1 for 4 interruptions (no); 0.1 avoids 3 for 6 (yes);
    # 0.15 avoids 4 for 10 (no); 0.2 avoids 8 for 12 (yes)
    rows = [row(0.0, 0, 2, 10), row(0.05, 2, 4, 9), row(0.1, 4, 4, 7), row(0.15, 8, 4, 6),
            row(0.2, 10, 4, 2)]
    assert tune_nlu.recommended_margin(rows) == 0.2
    rows[3]["all"]["emergencies_asked"] = 1  # never past a margin that asks an emergency
    assert tune_nlu.recommended_margin(rows) == 0.1
