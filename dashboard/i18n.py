"""Dashboard interface strings, one YAML file per language (dashboard/i18n/<lang>.yml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

I18N_DIR = Path(__file__).resolve().parent / "i18n"
UI_LANGUAGES = ("th", "en")
DEFAULT_UI_LANGUAGE = "th"


@lru_cache
def strings(language: str) -> dict[str, str]:
    if language not in UI_LANGUAGES:
        language = DEFAULT_UI_LANGUAGE
    return yaml.safe_load((I18N_DIR / f"{language}.yml").read_text(encoding="utf-8"))
