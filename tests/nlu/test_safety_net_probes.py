"""The emergency safety net (`content/emergency_keywords.yml` + `content.keywords`) on probe
sets written for it (`nlu_data/probes/safety_net_*.yml`, never from a blind split): every
present emergency fires, look-alikes (past, safe now, rights, hypothetical, someone else's
story) fire no more than measured, and the `settled` exceptions silence no emergency of the
training data or of the conversation test stories."""

from __future__ import annotations

import re

import pytest
import yaml

from content.keywords import KeywordsError, build_matcher, load_matcher
from saphan.paths import NLU_DATA_DIR, ROOT
from testsupport.rasa_python import run_in_rasa_python

from .test_nlu_data import examples

PROBES = NLU_DATA_DIR / "probes"
STORIES = ROOT / "tests" / "conversations" / "stories"
#: Look-alikes that still fire, measured 2026-12-07 (36 of 46 before the `settled` lists):
#: "my cousin was kidnapped in 2019 and came back…" (a year is not a phrase) and
#: "สมมติว่ามีคนถูกขังไว้ในเรือ…" (ถูกขังไว้ "is held locked" counts as present, on purpose:
#: "ถูกขังไว้ มีสิทธิอะไรบ้าง" must fire). May only fall.
LOOKALIKE_FALSE_ALARMS = 2


def probes(kind: str) -> list[tuple[str, str]]:
    data = yaml.safe_load((PROBES / f"safety_net_{kind}.yml").read_text(encoding="utf-8"))
    return [(lang, text) for lang, texts in data["messages"].items() for text in texts]


def test_probe_sets_cover_five_languages_and_mark_drafts() -> None:
    for kind in ("emergencies", "lookalikes"):
        data = yaml.safe_load((PROBES / f"safety_net_{kind}.yml").read_text(encoding="utf-8"))
        assert set(data["messages"]) == {"th", "en", "my", "km", "lo"}
        assert data["review"] == {"en": False, "th": False, "my": True, "km": True, "lo": True}


@pytest.mark.parametrize(("lang", "text"), probes("emergencies"))
def test_every_present_emergency_probe_fires(lang: str, text: str) -> None:
    assert load_matcher().match(text), (lang, text)


def test_lookalike_false_alarms_do_not_rise() -> None:
    fired = [(lang, text) for lang, text in probes("lookalikes") if load_matcher().match(text)]
    assert len(fired) <= LOOKALIKE_FALSE_ALARMS, fired


def test_no_emergency_training_message_is_settled() -> None:
    """A settled message loses both the keyword and the low-probability rule, so no message
    labelled `emergency` may be settled (this is what lets an exception phrase in)."""
    matcher = load_matcher()
    settled = [text for intent, text, _ in examples(NLU_DATA_DIR / "train")
               if intent == "emergency" and matcher.assess(text).settled]
    assert not settled


def story_emergencies() -> list[str]:
    """User messages the conversation test stories label `emergency`."""
    found = []
    for path in sorted(STORIES.glob("*.yml")):
        for step in re.finditer(r"user: \|\n((?:\s+\S.*\n)+?)\s+intent: emergency",
                                path.read_text(encoding="utf-8")):
            found.append(" ".join(step.group(1).split()))
    return found


def test_no_story_emergency_is_settled_and_each_fires() -> None:
    messages = story_emergencies()
    assert len(messages) >= 8
    assert [m for m in messages if not load_matcher().match(m)] == []


@pytest.mark.parametrize(("text", "fires"), [
    ("he beat me last year", False),
    ("he beat me last year and now he is beating me again", True),
    ("I was locked up years ago, is that legal?", False),
    ("I was locked up years ago and I'm locked in again, help me", True),
    ("ปีที่แล้วเคยถูกขัง", False),
    ("ปีที่แล้วเคยถูกขัง ตอนนี้ถูกขังอีกแล้ว", True),
    ("ตอนนี้ปลอดภัยแล้ว เคยถูกขัง", False),
    ("I was beaten last year. Can I get compensation?", False),
    ("I came here last year. Yesterday the boss locked us in the room.", True),  # per sentence
    ("ช่วย ด้วย", True),  # a space inside a Thai phrase is optional
    ("ถูกขังไว้ มีสิทธิอะไรบ้าง", True),  # held locked now: a rights question does not settle
    ("ຕອນນີ້ປອດໄພແລ້ວ ເຄີຍຖືກຂັງ", False),
    ("ບໍ່ເຄີຍໄດ້ອອກໄປ ເຂົາລັອກຂ້ອຍໄວ້", True),  # "never" is no past marker
])
def test_present_danger_wins_over_a_settled_phrase(text: str, fires: bool) -> None:
    assert bool(load_matcher().match(text)) is fires


def test_settled_and_present_must_be_phrases() -> None:
    data = yaml.safe_load(load_matcher.__wrapped__.__defaults__[0].read_text("utf-8"))
    data["languages"]["lo"]["settled"] = ["ປີກາຍ", ""]
    with pytest.raises(KeywordsError, match="'settled' for 'lo'"):
        build_matcher(data)


CHECK = """
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from saphan_nlu.emergency_keywords import EmergencyKeywords

def parsed(text):
    ranked = [{"name": "ask_rights", "confidence": 0.6}, {"name": "emergency", "confidence": 0.3}]
    message = Message(data={TEXT: text, INTENT: ranked[0], INTENT_RANKING_KEY: ranked})
    EmergencyKeywords(0.2).process([message])
    return message.get(INTENT)["name"], message.get("safety_net")

assert parsed("I was beaten last year, can I get compensation?") == ("ask_rights", None)
assert parsed("my boss shouts at me, is that legal?") == ("ask_rights", None)
assert parsed("my boss shouts at me") == ("emergency", {"emergency_confidence": 0.3})
name, net = parsed("I was beaten last year and they are beating me now")
assert name == "emergency" and net == {"keyword": "beating me"}, net
print("settled ok")
"""


def test_a_settled_message_is_not_promoted_on_a_low_emergency_probability() -> None:
    assert "settled ok" in run_in_rasa_python(CHECK)
