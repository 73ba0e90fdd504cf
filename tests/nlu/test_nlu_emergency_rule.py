"""`EmergencyKeywords` (Rasa venv): a likely emergency wins over the top intent once its
probability reaches `min_emergency_confidence`; keywords still win at confidence 1.0."""

from __future__ import annotations

from testsupport.rasa_python import run_in_rasa_python

CHECK = """
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from saphan_nlu.emergency_keywords import EmergencyKeywords

def classified(text, *ranking):
    ranked = [{"name": n, "confidence": c} for n, c in ranking]
    return Message(data={TEXT: text, INTENT: ranked[0], INTENT_RANKING_KEY: ranked})

def run(component, message):
    component.process([message])
    return message.get(INTENT), message.get("safety_net"), message.get(INTENT_RANKING_KEY)

rule = EmergencyKeywords(0.2)
off = EmergencyKeywords()

text = "the boss is angry at me tonight"
likely = lambda: classified(text, ("report_exploitation", 0.55), ("emergency", 0.3))
intent, net, ranking = run(rule, likely())
assert intent == {"name": "emergency", "confidence": 0.3}, intent
assert net == {"emergency_confidence": 0.3}, net
assert [r["name"] for r in ranking[:2]] == ["emergency", "report_exploitation"], ranking

# exactly at the threshold counts; below it and with the rule off nothing changes
intent, _, _ = run(rule, classified(text, ("report_exploitation", 0.8), ("emergency", 0.2)))
assert intent["name"] == "emergency", intent
intent, net, _ = run(rule, classified(text, ("report_exploitation", 0.81), ("emergency", 0.19)))
assert intent == {"name": "report_exploitation", "confidence": 0.81} and net is None, intent
intent, net, _ = run(off, likely())
assert intent["name"] == "report_exploitation" and net is None, intent

# an nlu_fallback with a likely emergency is an emergency too
intent, _, _ = run(rule, classified(text, ("nlu_fallback", 0.25), ("greet", 0.22),
                                    ("emergency", 0.21)))
assert intent["name"] == "emergency", intent

# already emergency: left as the classifier said
intent, net, _ = run(rule, classified(text, ("emergency", 0.6), ("greet", 0.1)))
assert intent == {"name": "emergency", "confidence": 0.6} and net is None, intent

# a keyword wins at 1.0 whatever the ranking; a button payload is never touched
intent, net, _ = run(off, classified("help they locked me in", ("greet", 0.9)))
assert intent == {"name": "emergency", "confidence": 1.0} and "keyword" in net, net
# Myanmar/Khmer/Lao messages keep the classifier's intent (trained since issue 18): a
# greeting stays a greeting, a danger keyword in these scripts still wins
intent, net, _ = run(off, classified("မင်္ဂလာပါ", ("greet", 0.9)))
assert intent == {"name": "greet", "confidence": 0.9} and net is None, (intent, net)
for danger in ("ကယ်ပါ သူဌေး ရိုက်နေတယ်", "គេកាន់កាំបិត", "ເຂົາມີປືນ"):
    intent, net, _ = run(off, classified(danger, ("find_service", 0.9)))
    assert intent["name"] == "emergency" and "keyword" in net, (danger, net)
payload = classified("/deny", ("deny", 1.0), ("emergency", 0.5))
intent, _, _ = run(rule, payload)
assert intent["name"] == "deny", intent

for bad in (0, -0.1, 1.5):
    try:
        EmergencyKeywords(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"threshold {bad} accepted")
assert EmergencyKeywords.get_default_config() == {"min_emergency_confidence": None}
print("emergency rule ok")
"""


def test_likely_emergency_overrides_the_top_intent_at_the_threshold() -> None:
    assert "emergency rule ok" in run_in_rasa_python(CHECK)
