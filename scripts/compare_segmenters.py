"""Which tokenization suits Myanmar, Khmer and Lao? Cross-validation on the training data.

Burmese, Khmer and Lao are written without spaces between words. This compares, on the
my/km/lo messages of nlu_data/train (never the test split), the intent accuracy of the
pipeline's classifier set-up (binary, per-block L2-normalised word uni+bigram counts and
char_wb 1-4-gram counts, logistic regression C=100: bot/config.yml) under each tokenization:

- `runs`: newmm as before issue 18 (a whole space-separated run is one token);
- `syllables`: saphan_nlu.segment (rule-based syllables/clusters, offline, no dependency);
- `segmenter`: the registries' word segmenters: pyidaungsu (my), khmer-nltk (km), laonlp (lo);
- `chars`: character 1-4-grams of the whole message (no tokenizer at all).

The segmenters are not in the Rasa venv; run this where they are installed, e.g. a scratch
venv with `pip install pythainlp pyyaml scikit-learn pyidaungsu khmer-nltk laonlp`:

    PYTHONPATH=bot:. <venv>/bin/python scripts/compare_segmenters.py [--folds 5]

Prints a Markdown table and writes it to benchmarks/nlu_segmenters.md (included in
benchmarks/nlu.md by `make bench-nlu`).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bot"), str(ROOT)]

from saphan_nlu.segment import segment  # noqa: E402

from saphan.language import detect_language  # noqa: E402

LANGUAGES = ("my", "km", "lo")
REPORT = ROOT / "benchmarks" / "nlu_segmenters.md"
ANNOTATION = re.compile(r'\[([^\]]+)\](?:\((\w+)\)|\{[^}]*\})')


def training_messages() -> list[tuple[str, str]]:
    """(text, intent) of every my/km/lo training message."""
    out = []
    for path in sorted((ROOT / "nlu_data" / "train").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                if line.startswith("- "):
                    text = ANNOTATION.sub(lambda m: m.group(1), line[2:].strip())
                    if detect_language(text) in LANGUAGES:
                        out.append((text, item["intent"]))
    return out


def newmm_runs(text: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize

    return [w for w in word_tokenize(text, engine="newmm", keep_whitespace=False) if w.strip()]


def registry_words(text: str) -> list[str]:
    """Words from the language's registry segmenter (other scripts: syllables)."""
    lang = detect_language(text)
    out: list[str] = []
    for run in text.split():
        if lang == "my":
            import pyidaungsu

            out += pyidaungsu.tokenize(run, form="word")
        elif lang == "km":
            from khmernltk import word_tokenize

            out += [w for w in word_tokenize(run) if w.strip()]
        elif lang == "lo":
            from laonlp.tokenize import word_tokenize

            out += [w for w in word_tokenize(run) if w.strip()]
    return out


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "runs": newmm_runs,
    "syllables": lambda text: [s.text for s in segment(text)],
    "segmenter": registry_words,
}


def accuracy(name: str, messages: list[tuple[str, str]], folds: int) -> tuple[float, float]:
    """Out-of-fold accuracy and seconds to tokenize every message once."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize

    t0 = time.perf_counter()
    if name == "chars":
        docs = [" ".join(text.lower().split()) for text, _ in messages]
        blocks = [CountVectorizer(analyzer="char", ngram_range=(1, 4), binary=True)]
    else:
        docs = [" ".join(TOKENIZERS[name](text.lower())) for text, _ in messages]
        blocks = [
            CountVectorizer(token_pattern=r"(?u)\S+", ngram_range=(1, 2), binary=True),
            CountVectorizer(analyzer="char_wb", ngram_range=(1, 4), binary=True),
        ]
    seconds = time.perf_counter() - t0
    intents = [intent for _, intent in messages]
    fold = [zlib.crc32(text.encode()) % folds for text, _ in messages]
    right = 0
    for k in range(folds):
        train = [i for i, f in enumerate(fold) if f != k]
        test = [i for i, f in enumerate(fold) if f == k]
        fitted = [b.fit([docs[i] for i in train]) for b in blocks]

        def features(rows: list[int], fitted: list = fitted) -> object:
            return hstack([normalize(b.transform([docs[i] for i in rows])) for b in fitted])

        clf = LogisticRegression(C=100, max_iter=500).fit(features(train),
                                                          [intents[i] for i in train])
        right += sum(p == intents[i] for p, i in zip(clf.predict(features(test)), test,
                                                     strict=True))
    return right / len(messages), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    messages = training_messages()
    lines = [
        f"{args.folds}-fold cross-validation on the {len(messages)} my/km/lo training "
        "messages (scripts/compare_segmenters.py; the test split is not used), "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}:",
        "",
        "| tokenization | " + " | ".join(f"accuracy {lang}" for lang in LANGUAGES)
        + " | accuracy all | tokenize all, s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in (*TOKENIZERS, "chars"):
        try:
            per_lang = []
            for lang in LANGUAGES:
                subset = [m for m in messages if detect_language(m[0]) == lang]
                per_lang.append(accuracy(name, subset, args.folds)[0])
            total, seconds = accuracy(name, messages, args.folds)
        except ImportError as exc:
            lines.append(f"| {name} | not installed: {exc.name} | | | | |")
            continue
        lines.append(f"| {name} | " + " | ".join(f"{a:.3f}" for a in per_lang)
                     + f" | {total:.3f} | {seconds:.1f} |")
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
