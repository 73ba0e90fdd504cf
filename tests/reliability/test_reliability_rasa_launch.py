"""`saphan.rasa_launch` (how Rasa is started): the cached `jsonschema.validate` accepts and
rejects exactly what the original does, on Rasa's own action-response schema (Rasa venv)."""

from __future__ import annotations

from testsupport.rasa_python import run_in_rasa_python

CHECK = """
import jsonschema
from rasa.core.actions.action import RemoteAction
from saphan.rasa_launch import cache_jsonschema_validators

schema = RemoteAction.action_response_format_spec()
good = {"events": [{"event": "slot", "name": "province", "value": "Tak"}],
        "responses": [{"text": "hi"}]}
bad = [{"events": [{"event": "slot"}]}, {"responses": "not a list"},
       {"events": [{"event": "no_such_event"}]}]

def verdicts(validate):
    out = []
    for instance in [good, *bad, good]:
        try:
            validate(instance, RemoteAction.action_response_format_spec())
            out.append("ok")
        except jsonschema.ValidationError as exc:
            out.append("invalid: " + exc.message)
    return out

before = verdicts(jsonschema.validate)
cache_jsonschema_validators()
assert getattr(jsonschema.validate, "saphan_cached", False)
after = verdicts(jsonschema.validate)
assert before == after, (before, after)
assert before[0] == before[-1] == "ok" and all(v != "ok" for v in before[1:-1]), before
print("same verdicts:", len(after))
"""


def test_cached_validation_gives_the_same_verdicts_as_jsonschema() -> None:
    assert "same verdicts: 5" in run_in_rasa_python(CHECK)
