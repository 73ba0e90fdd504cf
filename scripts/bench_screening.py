"""Benchmark the adaptive question order: questions asked versus the full list.

For every indicator list (and, for children, with and without an act of recruitment/movement)
it runs the adaptive order against (a) random answer sheets and (b) every sheet with at most
one "yes" answer (exhaustive; `--pairs`: two) plus random sparse sheets with 2-12 "yes", checks that
each adaptive result category equals the full-questionnaire category, and prints the average
number of questions asked. Writes the table to benchmarks/screening.md.

    .venv/bin/python scripts/bench_screening.py [--random N] [--seed S] [--pairs]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.adaptive import AdaptivePlanner, run_adaptive  # noqa: E402
from screening.loader import default_screening  # noqa: E402
from screening.questionnaire import ANSWER_IDS  # noqa: E402
from screening.scoring import score, select  # noqa: E402

CASES = [
    ("adult_labour", {"under_18": "no", "exploitation_form": "labour"}),
    ("adult_sexual", {"under_18": "no", "exploitation_form": "sexual"}),
    *(
        (f"child_{form}, {'moved' if moved == 'yes' else 'not moved'}",
         {"under_18": "yes", "exploitation_form": form, "moved_or_recruited": moved})
        for form in ("labour", "sexual")
        for moved in ("no", "yes")
    ),
]  # fmt: skip


def sheets_random(items: list[str], n: int, rng: random.Random) -> list[dict[str, str]]:
    """Uniformly random answers: each item yes / no / not sure / skip."""
    return [{i: rng.choice(ANSWER_IDS) for i in items} for _ in range(n)]


def sheets_sparse(
    items: list[str], n: int, rng: random.Random, pairs: bool
) -> list[dict[str, str]]:
    """Every sheet with at most one "yes" (or two with `pairs`; others "no"), plus n random
    sheets with 2-12 "yes"."""
    sizes = (0, 1, 2) if pairs else (0, 1)
    yes_sets = [set(c) for k in sizes for c in itertools.combinations(items, k)]
    yes_sets += [set(rng.sample(items, rng.randint(2, 12))) for _ in range(n)]
    return [{i: "yes" if i in chosen else "no" for i in items} for chosen in yes_sets]


def measure(planner, context, sheets) -> tuple[float, float, int, Counter]:
    """(mean asked, max asked, category mismatches, categories)."""
    data = planner.data
    asked_counts, mismatches, categories = [], 0, Counter()
    for sheet in sheets:
        asked = run_adaptive(planner, context, lambda item, sheet=sheet: sheet[item.id])
        full = score(data, context, sheet).category
        mismatches += score(data, context, asked).category != full
        asked_counts.append(len(asked))
        categories[full] += 1
    return statistics.mean(asked_counts), max(asked_counts), mismatches, categories


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=300, help="random sheets per case")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pairs", action="store_true", help="also every sheet with two yes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data = default_screening()
    planner = AdaptivePlanner(data)
    started = time.perf_counter()
    lines = [
        "# Screening benchmark: adaptive order versus the full list",
        "",
        f"Questionnaire {data.questionnaire.version}; `scripts/bench_screening.py --random "
        f"{args.random} --seed {args.seed}{' --pairs' if args.pairs else ''}`. Random: each "
        "answer uniformly yes / no / not sure / skip. Sparse: every sheet with at most "
        f"{2 if args.pairs else 1} \"yes\" (rest \"no\"), plus {args.random} random sheets "
        "with 2-12 \"yes\". Mismatches: adaptive category different from the full-list "
        "category (must be 0).",
        "",
        "| case | full list | random: mean asked (max) | sparse: mean asked (max) | sheets "
        "| mismatches | results (random / sparse) |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    total_mismatches = 0
    for name, context in CASES:
        items = [i.id for i in data.questionnaire.items_for(select(data, context).list_id)]
        r_mean, r_max, r_bad, r_cat = measure(
            planner, context, sheets_random(items, args.random, rng)
        )
        sparse = sheets_sparse(items, args.random, rng, args.pairs)
        s_mean, s_max, s_bad, s_cat = measure(planner, context, sparse)
        total_mismatches += r_bad + s_bad
        cats = " / ".join(
            ", ".join(f"{k} {v}" for k, v in sorted(c.items())) for c in (r_cat, s_cat)
        )
        lines.append(
            f"| {name} | {len(items)} | {r_mean:.1f} ({r_max}) | {s_mean:.1f} ({s_max}) | "
            f"{args.random + len(sparse)} | {r_bad + s_bad} | {cats} |"
        )
    elapsed = time.perf_counter() - started
    lines += ["", f"Total mismatches: {total_mismatches}. Run time: {elapsed:.1f} s.", ""]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "screening.md"
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 1 if total_mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
