"""Rasa test stories of every migrant-conversation flow (Thai, English, other languages) run
with `rasa test core` against the trained model: NLU on the typed messages, the safety net,
and the dialogue policies. Fails when any story fails."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from saphan.paths import ROOT
from saphan.rasa_model import rasa_env, rasa_executable

pytestmark = pytest.mark.integration
STORIES = Path(__file__).resolve().parent / "stories"


def test_story_files_cover_every_flow_in_thai_and_english() -> None:
    for language in ("th", "en"):
        stories = yaml.safe_load((STORIES / f"test_{language}.yml").read_text("utf-8"))
        names = " ".join(s["story"] for s in stories["stories"])
        for flow in ("welcome", "find a service", "shared location", "emergency", "report",
                     "rights", "person", "delete my data", "fallbacks", "bot challenge",
                     "out of scope"):
            assert flow in names, (language, flow)


def test_story_files_cover_the_conversation_in_myanmar_khmer_and_lao() -> None:
    stories = yaml.safe_load((STORIES / "test_other_languages.yml").read_text("utf-8"))
    for language in ("my", "km", "lo"):
        names = " ".join(s["story"] for s in stories["stories"]
                         if s["story"].endswith(f"({language})"))
        for flow in ("switch to", "shelter in a named town", "emergency", "reach a person",
                     "delete my data"):
            assert flow in names, (language, flow)


def test_all_rasa_test_stories_pass(conversation_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = subprocess.run(
        [str(rasa_executable()), "test", "core", "--e2e", "--model", str(conversation_model),
         "--stories", str(STORIES), "--out", str(out), "--no-plot"],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "story_report.json").read_text("utf-8"))
    failed = (out / "failed_test_stories.yml").read_text("utf-8")
    total = report["weighted avg"]["support"] if "weighted avg" in report else None
    assert "- story:" not in failed, failed[:6000]
    assert total, report
