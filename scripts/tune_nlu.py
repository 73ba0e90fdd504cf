"""Choose the NLU thresholds by cross-validation on the training data, never the test split.

Splits nlu_data/train into K folds (by a hash of the text, so the folds are the same on every
run), trains bot/config.yml on K-1 of them and parses the held-back fold, K times: every
training message gets an out-of-fold prediction. From those it prints and writes to
benchmarks/nlu_tuning.md:

- the `emergency` threshold sweep: a message is routed to `emergency` when the classifier
  gives `emergency` at least this probability, even if another intent ranks first (the
  `min_emergency_confidence` of EmergencyKeywords); recall vs false alarms per threshold;
- the fallback threshold sweep (FallbackClassifier `threshold`);
- the ambiguity sweep (FallbackClassifier `ambiguity_threshold`): when the top two intents
  are closer than the margin the bot asks which one was meant (actions/clarify.py); per
  margin, how many are asked, how many of those the top intent had right anyway, and the
  wrong actions left (issue 19 pt 4), with the shipped fallback and emergency thresholds.

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
AMBIGUITY_MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
#: A wider margin is worth it while it avoids at least this many wrong actions per extra
#: interruption (a question, or a rephrase hint for two close intents that cannot be offered):
#: an interruption costs a tap or a retyped message, a wrong action a wrong flow (six report
#: questions for someone who wanted a shelter, a service search for someone telling of abuse)
#: and the risk that the person gives up: at least two interruptions' worth.
MIN_AVOIDED_PER_INTERRUPTION = 1 / 2
FALLBACK_COMPONENT = "FallbackClassifier"


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


def out_of_fold(folds: int, work: Path, languages: tuple[str, ...] = (),
                max_folds: int | None = None) -> tuple[list[dict], list[dict], float]:
    """Out-of-fold (examples, results) for every training message (only those in
    `languages`, if given: the others then stay in every fold's training data; only the
    first `max_folds` folds' messages, if given: on a busy machine); mean training seconds.
    The predictions so far are saved after each fold."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(bench.TRAIN))
    messages = data.intent_examples
    config = config_without_emergency_threshold(work)
    examples: list[dict] = []
    results: list[dict] = []
    train_s = []
    for k in range(min(folds, max_folds or folds)):
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
        save_predictions(examples, results, sum(train_s) / len(train_s))
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


def shipped_thresholds() -> tuple[float, float | None]:
    """(FallbackClassifier `threshold`, EmergencyKeywords `min_emergency_confidence`) of
    bot/config.yml."""
    pipeline = yaml.safe_load(bench.OURS.read_text(encoding="utf-8"))["pipeline"]
    config = {c["name"]: c for c in pipeline}
    return (float(config[FALLBACK_COMPONENT]["threshold"]),
            config[EMERGENCY_COMPONENT].get("min_emergency_confidence"))


def settled_flags(examples: list[dict]) -> list[bool]:
    """Per example: the safety net leaves it to the classifier (a past event, "I'm safe now";
    content.keywords), so a low emergency probability does not make it `emergency`."""
    from content.keywords import load_matcher

    matcher = load_matcher()
    return [matcher.assess(e["text"]).settled for e in examples]


def outcome(result: dict, margin: float, fallback: float, emergency: float | None,
            settled: bool) -> str:
    """What the shipped pipeline and actions do with one message at ambiguity `margin`:
    `emergency` (the safety net, which runs last), `fallback` (rephrase hint and menu),
    `ask` (the clarifying question) or `act` (on the top intent)."""
    if result["intent"] == EMERGENCY or (
            emergency is not None and not settled
            and result["emergency_confidence"] >= emergency):
        return EMERGENCY
    if result["raw_confidence"] < fallback:
        return "fallback"
    if result["raw_confidence"] - result["second_confidence"] < margin:
        pair = {result["raw_intent"], result["second_intent"]}
        return "ask" if pair <= bench.clarify_intents() else "fallback"
    return "act"


def ambiguity_sweep(examples: list[dict], results: list[dict], settled: list[bool],
                    fallback: float, emergency: float | None) -> list[dict]:
    """Per margin and language: questions asked (and how many the top intent had right
    anyway, how many offered the right intent), fallbacks, wrong actions (an intent other
    than the gold one acted on, emergency false alarms included)."""
    rows = []
    for margin in AMBIGUITY_MARGINS:
        row: dict = {"margin": margin}
        for lang in (*present_languages(examples), "all"):
            n = asked = right_anyway = offered = fallbacks = wrong = emergencies_asked = 0
            for e, r, calm in zip(examples, results, settled, strict=True):
                if lang not in ("all", e["lang"]):
                    continue
                n += 1
                done = outcome(r, margin, fallback, emergency, calm)
                acted = {"emergency": EMERGENCY, "act": r["raw_intent"]}.get(done)
                wrong += acted is not None and acted != e["intent"]
                fallbacks += done == "fallback"
                if done == "ask":
                    asked += 1
                    right_anyway += r["raw_intent"] == e["intent"]
                    offered += e["intent"] in (r["raw_intent"], r["second_intent"])
                    emergencies_asked += e["intent"] == EMERGENCY
            row[lang] = {"n": n, "asked": asked, "right_anyway": right_anyway,
                         "offered": offered, "fallbacks": fallbacks, "wrong": wrong,
                         "emergencies_asked": emergencies_asked,
                         "ask_rate": asked / n, "wrong_rate": wrong / n}
        rows.append(row)
    return rows


def recommended_margin(rows: list[dict]) -> float:
    """The widest margin that, compared with margin 0, avoids at least
    `MIN_AVOIDED_PER_INTERRUPTION` wrong actions per extra interruption (questions and
    rephrase hints) and asks no emergency (stopping at the first that does)."""
    base, best = rows[0]["all"], rows[0]["margin"]
    for row in rows[1:]:
        a = row["all"]
        if a["emergencies_asked"]:
            break
        extra = a["asked"] + a["fallbacks"] - base["asked"] - base["fallbacks"]
        if extra > 0 and base["wrong"] - a["wrong"] >= MIN_AVOIDED_PER_INTERRUPTION * extra:
            best = row["margin"]
    return best


def shipped_margin() -> float:
    pipeline = yaml.safe_load(bench.OURS.read_text(encoding="utf-8"))["pipeline"]
    return float(next(c for c in pipeline if c["name"] == FALLBACK_COMPONENT)
                 .get("ambiguity_threshold", 0.0))


def ambiguity_section(examples: list[dict], results: list[dict]) -> list[str]:
    fallback, emergency = shipped_thresholds()
    rows = ambiguity_sweep(examples, results, settled_flags(examples), fallback, emergency)
    langs = present_languages(examples)
    lines = [
        "## Ambiguity margin (FallbackClassifier `ambiguity_threshold`)",
        "",
        "When the classifier's top two intents are closer than the margin, the message goes "
        "to `nlu_fallback` and the bot asks which of the two was meant, with a button for "
        "each (actions/clarify.py: only " + ", ".join(sorted(bench.clarify_intents()))
        + "; a close call between other intents gets the rephrase hint and the menu). "
        f"Shipped thresholds: fallback {fallback}, emergency probability {emergency} (the "
        "safety net runs last, so a message that may be an emergency is answered as one, "
        "never asked). Wrong action = the bot acted on an intent other than the gold one "
        "(emergency false alarms included); asked = the clarifying question; right anyway = "
        "asked although the top intent was right (a tap the person did not need); offered = "
        "the gold intent was one of the two buttons; avoided per interruption = wrong actions "
        "avoided per extra question or rephrase hint (both vs margin 0); emergencies asked = "
        "emergency messages "
        "that got the question instead of the emergency reply.",
        "",
        "| margin | asked | right anyway | offered | avoided per interruption | "
        "emergencies asked "
        "| fallbacks | wrong actions | " + " | ".join(f"wrong {lg}" for lg in langs) + " | "
        + " | ".join(f"asked {lg}" for lg in langs) + " |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | " + "--- | " * (2 * len(langs)),
    ]
    for row in rows:
        a = row["all"]
        base = rows[0]["all"]
        extra = a["asked"] + a["fallbacks"] - base["asked"] - base["fallbacks"]
        avoided = (base["wrong"] - a["wrong"]) / extra if extra > 0 else 0.0
        lines.append(
            f"| {row['margin']} | {a['asked']} ({a['ask_rate']:.3f}) | {a['right_anyway']} | "
            f"{a['offered']} | {avoided:.2f} | {a['emergencies_asked']} | {a['fallbacks']} | "
            f"{a['wrong']} ({a['wrong_rate']:.3f}) | "
            + "".join(f"{row[lg]['wrong_rate']:.3f} | " for lg in langs)
            + "".join(f"{row[lg]['ask_rate']:.3f} | " for lg in langs))
    lines += [
        "",
        "Reading rule: the widest margin that, compared with margin 0, avoids at least "
        f"{MIN_AVOIDED_PER_INTERRUPTION:.2f} wrong actions per extra interruption (questions "
        "and rephrase hints: a tap or a retyped message; a wrong action is a wrong flow and "
        "perhaps the person lost) and asks no emergency: "
        f"**{recommended_margin(rows)}**; shipped in bot/config.yml: **{shipped_margin()}** "
        "(the comment there says why).",
    ]
    return lines


def render(examples: list[dict], results: list[dict], folds: int, train_s: float) -> str:
    m = bench.metrics(examples, results)
    n_emergency = Counter(e["lang"] for e in examples if e["intent"] == EMERGENCY)
    langs = present_languages(examples)
    lines = [
        "# NLU threshold tuning (cross-validation on the training data)",
        "",
        f"{folds}-fold cross-validation of bot/config.yml on nlu_data/train"
        + (f" (the held-out messages of {parsed} of the {folds} folds, each model trained on "
           "the other folds: a busy machine)" if (parsed := len(
               {fold_of(e["text"], folds) for e in examples})) < folds else "")
        + f": {len(examples)} "
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
    lines += ["", *ambiguity_section(examples, results)]
    return "\n".join(lines) + "\n"


PREFIX = "predicted_"


def save_predictions(examples: list[dict], results: list[dict], train_s: float) -> None:
    PREDICTIONS.parent.mkdir(exist_ok=True)
    PREDICTIONS.write_text(json.dumps(
        [{**e, **{f"{PREFIX}{k}": v for k, v in r.items()}, "train_s": train_s}
         for e, r in zip(examples, results, strict=True)], ensure_ascii=False, indent=0),
        encoding="utf-8")


def load_predictions() -> tuple[list[dict], list[dict], float]:
    """(examples, results, mean training seconds) as `save_predictions` wrote them."""
    rows = json.loads(PREDICTIONS.read_text(encoding="utf-8"))
    examples = [{k: v for k, v in row.items() if not k.startswith(PREFIX) and k != "train_s"}
                for row in rows]
    results = [{k[len(PREFIX):]: v for k, v in row.items() if k.startswith(PREFIX)}
               for row in rows]
    return examples, results, float(rows[0].get("train_s") or float("nan")) if rows else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description="Saphan NLU threshold tuning")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--max-folds", type=int, default=None,
                        help="parse only the first N folds (each still trained on the other "
                             "folds): fewer messages, less time")
    parser.add_argument("--reuse", action="store_true",
                        help="re-render the report from the saved out-of-fold predictions "
                             f"({PREDICTIONS.relative_to(bench.ROOT)}) without training")
    parser.add_argument("--languages", default="",
                        help="comma-separated: hold out only these languages' messages "
                             "(e.g. my,km,lo); the report is then written to "
                             "benchmarks/nlu_tuning_<languages>.md")
    args = parser.parse_args()
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    languages = tuple(lang for lang in args.languages.split(",") if lang)
    if args.reuse:
        examples, results, train_s = load_predictions()
    else:
        with tempfile.TemporaryDirectory(prefix="tune-nlu-") as tmp:
            examples, results, train_s = out_of_fold(args.folds, Path(tmp), languages,
                                                     args.max_folds)
    report = render(examples, results, args.folds, train_s)
    report_file = REPORT.with_name(f"nlu_tuning_{'_'.join(languages)}.md") if languages \
        else REPORT
    report_file.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
