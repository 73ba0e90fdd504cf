"""What runs before the processes start: migrate, load bundled data, train if needed."""

from __future__ import annotations

import sys
from pathlib import Path

from agencies.bundled import load_examples
from referral_directory.bundled import load_bundled
from referral_directory.samples import production_warning, samples_allowed
from saphan.db import session_scope_for
from saphan.migrate import upgrade
from saphan.rasa_model import ensure_model
from saphan.settings import Settings


def _say(message: str) -> None:
    print(f"[saphan] {message}", file=sys.stderr, flush=True)


def prepare_database(settings: Settings) -> None:
    """Migrate the app database to the newest schema and load the bundled data."""
    upgrade(settings.database_url)
    with session_scope_for(settings.database_url) as session:
        load_bundled(session, include_samples=samples_allowed(settings))
        if not settings.production:  # example agencies: never loaded in production
            load_examples(session)
        warning = production_warning(session, settings)
    if warning:
        _say(warning)
    _say("database migrated")


def prepare(settings: Settings) -> Path:
    """Bring database, bundled data and model up to date; return the model path."""
    prepare_database(settings)
    from content.catalogue import validate as validate_catalogue
    from screening.startup import check_screening_files

    validate_catalogue()
    _say("text catalogue checked")
    _say(f"screening questionnaire {check_screening_files()}")
    model = ensure_model()
    _say(f"model {model.name}")
    return model
