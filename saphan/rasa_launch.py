"""Start Rasa with Saphan's speed-ups: `python -m saphan.rasa_launch run ...` is `rasa run ...`.

Rasa 3.6 validates every action-server answer with `jsonschema.validate`, which checks the
(constant, large) events schema against the JSON Schema meta-schema again on every call: about
half of Rasa's CPU time per message under load (py-spy, benchmarks/reliability.md). Here the
checked validator is built once per schema and reused; what is validated is unchanged.
It also gives Rasa's lock store every part of `SAPHAN_REDIS_URL` (`lock_store_env`), so a
Rasa replica needs only that one (secret) variable to share conversations' locks.
Runs in the Rasa venv (Python 3.10, jsonschema 4.17); imports nothing else from Saphan.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

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


def lock_store_env(redis_url: str) -> dict[str, str]:
    """The variables `bot/endpoints.yml` reads for Rasa's lock store, from a Redis URL
    (`redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS): Redis when set, else
    in-memory (one Rasa replica). Rasa passes them to redis-py as strings, so "off" is the
    empty string (a non-empty one is true)."""
    if not redis_url:
        return {"RASA_LOCK_STORE": "in_memory", "RASA_REDIS_HOST": "", "RASA_REDIS_PORT": "6379",
                "RASA_REDIS_DB": "0", "RASA_REDIS_USERNAME": "", "RASA_REDIS_AUTH": "",
                "RASA_REDIS_USE_SSL": ""}
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError("SAPHAN_REDIS_URL must start with redis:// or rediss://")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ValueError("the database of SAPHAN_REDIS_URL must be a number")
    return {
        "RASA_LOCK_STORE": "redis",
        "RASA_REDIS_HOST": parts.hostname or "localhost",
        "RASA_REDIS_PORT": str(parts.port or 6379),
        "RASA_REDIS_DB": db,
        "RASA_REDIS_USERNAME": unquote(parts.username or ""),
        "RASA_REDIS_AUTH": unquote(parts.password or ""),
        "RASA_REDIS_USE_SSL": "true" if parts.scheme == "rediss" else "",
    }


def apply_lock_store_env(environ: dict[str, str] | Any = os.environ) -> None:
    """Set the lock-store variables from `SAPHAN_REDIS_URL` when it is set; without it keep
    what the deployment set and fill the rest with the in-memory defaults."""
    derived = lock_store_env(environ.get("SAPHAN_REDIS_URL", ""))
    if environ.get("SAPHAN_REDIS_URL"):
        environ.update(derived)
    else:
        for key, value in derived.items():
            environ.setdefault(key, value)


def main() -> None:
    cache_jsonschema_validators()
    apply_lock_store_env()
    from saphan_rasa import speedups  # bot/ is on Rasa's path (saphan/rasa_model.rasa_env)

    speedups.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
