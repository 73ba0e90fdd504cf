"""Choose the NLU thresholds by cross-validation on the training data, never the test split.

Splits nlu_data/train into K folds (by a hash of the text, so the folds are the same on every
run), trains bot/config.yml on K-1 of them and parses the held-back fold, K times: every
training message gets an out-of-fold prediction. From those it prints and writes to
benchmarks/nlu_tuning.md:

- the `emergency` threshold sweep: a message is routed to `emergency` when the classifier
  gives `emergency` at least this probability, even if another intent ranks first (the
  `min_emergency_confidence` of EmergencyKeywords); recall vs false alarms per threshold;
- the fallback threshold sweep (FallbackClassifier `threshold`).

The thresholds in bot/config.yml are read off this report. The trained config has its
emergency threshold switched off, so the sweep sees the classifier's own ranking. Every
out-of-fold prediction is kept in var/nlu_tuning_predictions.json (not committed) for reading
the errors.

Run with the Rasa venv (`make tune-nlu`):
    PYTHONPATH=bot:. .venv-rasa/bin/python scripts/tune_nlu.py [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

import yaml

sys.path[:0] = [str(Path(__file__).resolve().parent)]

import bench_nlu as bench  # noqa: E402

from saphan.language import LANGUAGES  # noqa: E402

REPORT = bench.ROOT / "benchmarks" / "nlu_tuning.md"
PREDICTIONS = bench.ROOT / "var" / "nlu_tuning_predictions.json"
EMERGENCY = "emergency"
EMERGENCY_COMPONENT = "saphan_nlu.emergency_keywords.EmergencyKeywords"
EMERGENCY_THRESHOLDS = (None, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05)
FALLBACK_THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


def fold_of(text: str, folds: int) -> int:
    return zlib.crc32(text.encode("utf-8")) % folds


def config_without_emergency_threshold(work: Path) -> Path:
    """bot/config.yml with EmergencyKeywords' probability rule switched off."""
    config = yaml.safe_load(bench.OURS.read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == EMERGENCY_COMPONENT:
            component.pop("min_emergency_confidence", None)
    path = work / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def write_training_data(data, examples: list, path: Path) -> None:
    """`data`'s gazetteer (synonyms, lookups, regexes) with only `examples` as messages."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    subset = TrainingData(training_examples=examples, entity_synonyms=data.entity_synonyms,
                          regex_features=data.regex_features,
                          lookup_tables=data.lookup_tables)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RasaYAMLWriter().dumps(subset), encoding="utf-8")


def out_of_fold(folds: int, work: Path, languages: tuple[str, ...] = ()
                ) -> tuple[list[dict], list[dict], float]:
    """Out-of-fold (examples, results) for every training message (only those in
    `languages`, if given: the others then stay in every fold's training data); mean
    training seconds."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(bench.TRAIN))
    messages = data.intent_examples
    config = config_without_emergency_threshold(work)
    examples: list[dict] = []
    results: list[dict] = []
    train_s = []
    for k in range(folds):
        held = [m for m in messages if fold_of(m.get("text"), folds) == k
                and (not languages or bench.example_language(m.get("text")) in languages)]
        held_ids = {id(m) for m in held}
        kept = [m for m in messages if id(m) not in held_ids]
        fold_dir = work / f"fold{k}"
        write_training_data(data, kept, fold_dir / "nlu" / "train.yml")
        print(f"[tune] fold {k + 1}/{folds}: training on {len(kept)}, parsing {len(held)} ...",
              file=sys.stderr, flush=True)
        model, seconds = bench.train(config, fold_dir, nlu=fold_dir / "nlu")
        train_s.append(seconds)
        run = bench.evaluate_model(model, [m.get("text") for m in held], fold_dir)
        examples += bench.gold_examples(held, data)
        results += run["results"]
    return examples, results, sum(train_s) / len(train_s)


def present_languages(examples: list[dict]) -> list[str]:
    return [lang for lang in LANGUAGES if any(e["lang"] == lang for e in examples)]


def emergency_sweep(examples: list[dict], results: list[dict]) -> list[dict]:
    """Per threshold: emergency recall per language and the false alarms it costs."""
    rows = []
    pairs = list(zip(examples, results, strict=True))
    for t in EMERGENCY_THRESHOLDS:
        def routed(r: dict, t: float | None = t) -> bool:
            return r["intent"] == EMERGENCY or (t is not None and r["emergency_confidence"] >= t)

        row: dict = {"threshold": t}
        for lang in (*present_languages(examples), "all"):
            gold = [routed(r) for e, r in pairs
                    if e["intent"] == EMERGENCY and lang in ("all", e["lang"])]
            row[f"recall_{lang}"] = sum(gold) / len(gold) if gold else float("nan")
            row[f"missed_{lang}"] = len(gold) - sum(gold)
        false = [e["intent"] for e, r in pairs if e["intent"] != EMERGENCY and routed(r)]
        row["false_alarms"] = len(false)
        row["false_alarm_rate"] = len(false) / sum(e["intent"] != EMERGENCY for e in examples)
        row["false_from"] = Counter(false).most_common(3)
        row["accuracy"] = sum(
            (EMERGENCY if routed(r) else r["intent"]) == e["intent"] for e, r in pairs
        ) / len(pairs)
        rows.append(row)
    return rows


def fallback_sweep(examples: list[dict], results: list[dict]) -> list[dict]:
    """Fallback rate and accuracy of the answered messages for each threshold."""
    rows = []
    for t in FALLBACK_THRESHOLDS:
        answered = [(e, r) for e, r in zip(examples, results, strict=True)
                    if r["raw_confidence"] >= t]
        wrong_kept = sum(e["intent"] != r["raw_intent"] for e, r in answered)
        wrong = sum(e["intent"] != r["raw_intent"] for e, r in zip(examples, results, strict=True))
        emerg_lost = sum(e["intent"] == "emergency" and r["raw_confidence"] < t
                         for e, r in zip(examples, results, strict=True))
        rows.append({
            "threshold": t,
            "fallback_rate": 1 - len(answered) / len(examples),
            "answered_accuracy": (len(answered) - wrong_kept) / max(len(answered), 1),
            "errors_caught": (wrong - wrong_kept) / wrong if wrong else 1.0,
            "emergencies_to_fallback": emerg_lost,
        })
    return rows


def render(examples: list[dict], results: list[dict], folds: int, train_s: float) -> str:
    m = bench.metrics(examples, results)
    n_emergency = Counter(e["lang"] for e in examples if e["intent"] == EMERGENCY)
    langs = present_languages(examples)
    lines = [
        "# NLU threshold tuning (cross-validation on the training data)",
        "",
        f"{folds}-fold cross-validation of bot/config.yml on nlu_data/train: {len(examples)} "
        "messages (" + ", ".join(f"{lg} {sum(e['lang'] == lg for e in examples)}"
                                 for lg in langs)
        + "; emergency " + ", ".join(f"{lg} {n_emergency[lg]}" for lg in langs)
        + "), each predicted by a model that did not see it. The held-out "
        "test split is not used. Generated by `make tune-nlu` (scripts/tune_nlu.py) on "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}; mean training time per fold "
        f"{train_s:.0f} s; {os.cpu_count()} cores. Paraphrases of one message can fall in "
        "different folds, so these numbers are higher than the held-out ones; they are for "
        "comparing thresholds, not for reporting accuracy.",
        "",
        "Out-of-fold intent accuracy (emergency probability rule off): "
        + ", ".join(f"{lg} {m[lg]['accuracy']:.3f}" for lg in langs) + "; emergency recall "
        + ", ".join(f"{lg} {bench.fmt(m[lg]['emergency_recall'])}" for lg in langs) + ".",
        "",
        "## Emergency threshold (EmergencyKeywords `min_emergency_confidence`)",
        "",
        "Routed to `emergency` = keyword safety net, or top intent, or emergency probability ≥ "
        "threshold. A false alarm shows the emergency numbers and offers a caseworker to "
        "someone who was not in immediate danger.",
        "",
        "| threshold | " + " | ".join(f"recall {lg}" for lg in langs)
        + " | recall all | missed | false alarms | false-alarm rate | false alarms from | "
        "accuracy |",
        "| --- | " + "--- | " * len(langs) + "--- | --- | --- | --- | --- | --- |",
    ]
    for r in emergency_sweep(examples, results):
        source = ", ".join(f"{i} {n}" for i, n in r["false_from"]) or "–"
        lines.append(
            f"| {'off' if r['threshold'] is None else r['threshold']} | "
            + "".join(f"{r[f'recall_{lg}']:.3f} | " for lg in langs)
            + f"{r['recall_all']:.3f} | {r['missed_all']} | "
            f"{r['false_alarms']} | {r['false_alarm_rate']:.3f} | {source} | "
            f"{r['accuracy']:.3f} |")
    lines += [
        "",
        "## Fallback threshold (FallbackClassifier `threshold`)",
        "",
        "Raw top intent vs its confidence: below the threshold the message goes to "
        "`nlu_fallback` (a rephrase hint and the menu) — unless the emergency rules route it.",
        "",
        "| threshold | fallback rate | accuracy of answered | errors caught | "
        "emergencies to fallback |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in fallback_sweep(examples, results):
        lines.append(f"| {s['threshold']} | {s['fallback_rate']:.3f} | "
                     f"{s['answered_accuracy']:.3f} | {s['errors_caught']:.2f} | "
                     f"{s['emergencies_to_fallback']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Saphan NLU threshold tuning")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--languages", default="",
                        help="comma-separated: hold out only these languages' messages "
                             "(e.g. my,km,lo); the report is then written to "
                             "benchmarks/nlu_tuning_<languages>.md")
    args = parser.parse_args()
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    with tempfile.TemporaryDirectory(prefix="tune-nlu-") as tmp:
        languages = tuple(lang for lang in args.languages.split(",") if lang)
        examples, results, train_s = out_of_fold(args.folds, Path(tmp), languages)
    PREDICTIONS.parent.mkdir(exist_ok=True)
    PREDICTIONS.write_text(json.dumps(
        [{**e, **{f"predicted_{k}": v for k, v in r.items()}}
         for e, r in zip(examples, results, strict=True)], ensure_ascii=False, indent=0),
        encoding="utf-8")
    report = render(examples, results, args.folds, train_s)
    report_file = REPORT.with_name(f"nlu_tuning_{'_'.join(languages)}.md") if languages \
        else REPORT
    report_file.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
