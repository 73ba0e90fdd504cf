"""Filesystem locations of the project (one place for each path)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_DIR = ROOT / "bot"
NLU_DATA_DIR = ROOT / "nlu_data"
MODELS_DIR = ROOT / "models"
VAR_DIR = ROOT / "var"
APP_VENV = ROOT / ".venv"
RASA_VENV = ROOT / ".venv-rasa"
