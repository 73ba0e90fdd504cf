"""`ThaiTokenizer`'s tokens remember their fingerprint (Rasa venv): it is Rasa's `Token`
fingerprint, and it follows a change of text, offsets or data."""

from __future__ import annotations

from testsupport.rasa_python import run_in_rasa_python

CHECK = """
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from saphan_nlu.thai_tokenizer import FingerprintedToken, ThaiTokenizer

tokens = ThaiTokenizer(ThaiTokenizer.get_default_config()).tokenize(
    Message(data={TEXT: "boss ไม่จ่ายเงิน"}), TEXT)
assert tokens and all(isinstance(t, FingerprintedToken) for t in tokens)
for t in tokens:
    plain = Token(t.text, t.start, t.end)
    assert t.fingerprint() == plain.fingerprint() == t.fingerprint()
token = tokens[0]
before = token.fingerprint()
token.end += 1
assert token.fingerprint() == Token(token.text, token.start, token.end).fingerprint() != before
token.set("pattern", {"x": 1})
plain = Token(token.text, token.start, token.end, data={"pattern": {"x": 1}})
assert token.fingerprint() == plain.fingerprint()
token.data["pattern"]["x"] = 2  # changed in place: still Rasa's fingerprint
plain.data["pattern"]["x"] = 2
assert token.fingerprint() == plain.fingerprint()
print("fingerprint ok")
"""


def test_token_fingerprint_is_rasas_and_follows_changes() -> None:
    assert "fingerprint ok" in run_in_rasa_python(CHECK)
