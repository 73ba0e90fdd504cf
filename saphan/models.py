"""Import every model module so `Base.metadata` holds all app tables (for Alembic and tests).

Each package owns its tables in its own `models.py`; add new model modules here.
"""

from saphan.db import Base

MODEL_MODULES: list[str] = [
    "referral_directory.models",
    "gateway.models",
    "cases.models",
    "screening.models",
]


def load_all() -> type[Base]:
    """Import all model modules and return the declarative base."""
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base
