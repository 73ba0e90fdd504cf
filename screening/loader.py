"""Load and validate the screening data files; a bad file fails with a clear error."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from saphan.data_files import read_yaml as read_data_file
from screening.errors import ScreeningDataError, data_error
from screening.questionnaire import Questionnaire
from screening.rules import Rules

DATA_DIR = Path(__file__).resolve().parent / "data"
QUESTIONNAIRE_FILE = DATA_DIR / "questionnaire.yml"
RULES_FILE = DATA_DIR / "rules.yml"

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class ScreeningData:
    """A validated questionnaire with the rules that score it."""

    questionnaire: Questionnaire
    rules: Rules


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning any failure into a ScreeningDataError naming the file."""
    return read_data_file(path, ScreeningDataError, "screening data")


def load_model(path: Path, model: type[Model]) -> Model:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ScreeningDataError(f"{path}: expected a mapping at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise data_error(path, raw, exc) from None


def load_screening(
    questionnaire_path: Path = QUESTIONNAIRE_FILE, rules_path: Path = RULES_FILE
) -> ScreeningData:
    """Load both files and check that the rules only reference what the questionnaire has."""
    questionnaire = load_model(questionnaire_path, Questionnaire)
    rules = load_model(rules_path, Rules)
    try:
        rules.check_against(questionnaire)
    except (ValueError, KeyError) as exc:
        raise ScreeningDataError(
            f"{rules_path}: does not match {questionnaire_path.name}: {exc}"
        ) from None
    return ScreeningData(questionnaire, rules)


@cache
def default_screening() -> ScreeningData:
    """The bundled questionnaire and rules (loaded once)."""
    return load_screening()
