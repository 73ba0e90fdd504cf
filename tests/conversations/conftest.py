"""Fixtures of the conversation tests: a model trained with the emergency safety net."""

from __future__ import annotations

from pathlib import Path

import pytest

from saphan.paths import BOT_DIR

SAFETY_NET = "saphan_nlu.emergency_keywords.EmergencyKeywords"
#: The line the lead adds to bot/config.yml, right after FallbackClassifier's settings.
CONFIG_LINE = f"  - name: {SAFETY_NET}\n"


def config_with_safety_net(out_dir: Path) -> Path:
    """bot/config.yml when it already runs the safety net, else a copy that adds it last in
    the NLU pipeline (after FallbackClassifier)."""
    config = BOT_DIR / "config.yml"
    source = config.read_text(encoding="utf-8")
    if SAFETY_NET in source:
        return config
    head, sep, policies = source.partition("\npolicies:")
    if not sep:
        raise ValueError("bot/config.yml has no 'policies:' section")
    patched = head.rstrip("\n") + "\n" + CONFIG_LINE + sep + policies
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "config.yml"
    if not target.exists() or target.read_text(encoding="utf-8") != patched:
        target.write_text(patched, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def conversation_model() -> Path:
    """The trained model (reused by content hash) with the safety-net component."""
    from saphan.paths import VAR_DIR
    from saphan.rasa_model import ensure_model

    return ensure_model(config=config_with_safety_net(VAR_DIR / "conversation_config"))
