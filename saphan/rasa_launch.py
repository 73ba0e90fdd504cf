"""Start Rasa with Saphan's speed-ups: `python -m saphan.rasa_launch run ...` is `rasa run ...`.

Rasa 3.6 validates every action-server answer with `jsonschema.validate`, which checks the
(constant, large) events schema against the JSON Schema meta-schema again on every call: about
half of Rasa's CPU time per message under load (py-spy, benchmarks/reliability.md). Here the
checked validator is built once per schema and reused; what is validated is unchanged.
Runs in the Rasa venv (Python 3.10, jsonschema 4.17); imports nothing else from Saphan.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MAX_SCHEMAS = 64


def cache_jsonschema_validators() -> None:
    """Replace `jsonschema.validate` with an equivalent that reuses checked validators."""
    import jsonschema
    from jsonschema import exceptions, validators

    original = jsonschema.validate
    if getattr(original, "saphan_cached", False):
        return
    cache: dict[str, Any] = {}

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is not None or args or kwargs or not isinstance(schema, dict):
            return original(instance, schema, cls, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True, default=repr)
        validator = cache.get(key)
        if validator is None:
            validator_class = validators.validator_for(schema)
            validator_class.check_schema(schema)
            validator = validator_class(schema)
            if len(cache) < MAX_SCHEMAS:
                cache[key] = validator
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        return None

    validate.saphan_cached = True  # type: ignore[attr-defined]
    jsonschema.validate = validate


def main() -> None:
    cache_jsonschema_validators()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
