"""NLU tests: make the Rasa-free modules in bot/saphan_nlu importable from the app venv."""

from __future__ import annotations

import sys

from saphan.paths import BOT_DIR

if str(BOT_DIR) not in sys.path:
    sys.path.insert(0, str(BOT_DIR))
