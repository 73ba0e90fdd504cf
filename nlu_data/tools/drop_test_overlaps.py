"""Drop from the held-out split every message that equals a training message, or that stands
in the split under two intents (nlu_data/README.md: such test messages are removed, never
copied or re-labelled). Prints counts only: the split is blind, its messages are not shown.

    .venv/bin/python nlu_data/tools/drop_test_overlaps.py
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import yaml

NLU_DATA = Path(__file__).resolve().parents[1]
ANNOTATION = re.compile(r'\[([^\]]+)\](?:\((\w+)\)|\{"entity": *"(\w+)"[^}]*\})')
EXAMPLE = re.compile(r"^(\s*)- (.*)$")


def plain(raw: str) -> str:
    return ANNOTATION.sub(lambda m: m.group(1), raw.strip())


def key(text: str) -> str:
    return " ".join(text.lower().split())


def messages(path: Path) -> list[tuple[str, str]]:
    out = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in item.get("examples", "").splitlines() if "intent" in item else []:
            if line.startswith("- "):
                out.append((item["intent"], plain(line[2:])))
    return out


def main() -> None:
    train = {key(text) for path in sorted((NLU_DATA / "train").glob("*.yml"))
             for _, text in messages(path)}
    test_files = [p for p in sorted((NLU_DATA / "test").glob("*.yml"))
                  if not p.stem.endswith("_meta")]
    intents_of: dict[str, set[str]] = defaultdict(set)
    for path in test_files:
        for intent, text in messages(path):
            intents_of[key(text)].add(intent)
    drop = {k for k, intents in intents_of.items() if k in train or len(intents) > 1}
    for path in test_files:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines
                if not ((m := EXAMPLE.match(line.rstrip("\n"))) and key(plain(m.group(2))) in drop)]
        removed = len(lines) - len(kept)
        if removed:
            path.write_text("".join(kept), encoding="utf-8")
        meta = path.with_name(f"{path.stem}_meta.yml")
        if meta.exists():
            data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
            entries = data.get("messages", data) if isinstance(data, dict) else data
            if isinstance(entries, dict):
                stale = [k for k in entries if key(k) in drop]
                for k in stale:
                    del entries[k]
                if stale:
                    header = "".join(line for line in meta.read_text(encoding="utf-8")
                                     .splitlines(keepends=True) if line.startswith("#"))
                    meta.write_text(header + yaml.safe_dump(data, allow_unicode=True,
                                                            sort_keys=False), encoding="utf-8")
        print(f"{path.name}: {removed} messages dropped")


if __name__ == "__main__":
    main()
