"""Every model module, imported so `Base.metadata` holds all app tables (Alembic and tests).

Each package owns its tables in its own `models.py`; add new model modules here. This list
names the domain packages, so it lives in the composition layer, not in the core: the
migration environment reads `saphan.db.Base.metadata`, and whoever compares or autogenerates
against it calls `load_all()` first.
"""

import agencies.models
import cases.models
import gateway.models
import referral_directory.models
import screening.models
from saphan.db import Base

MODEL_MODULES = (agencies.models, referral_directory.models, gateway.models, cases.models,
                 screening.models)


def load_all() -> type[Base]:
    """The declarative base with all app tables registered."""
    return Base
