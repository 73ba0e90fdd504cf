"""The windowed tracker store (bot/saphan_rasa/tracker_store.py, issue 22): after every turn of
long random conversations its bounded tracker has the same state as Rasa's whole-session
tracker (slots, active loop, pause, latest message and action; a form active since before the
window loads the whole session),
the trained model's policies predict the same next action with the same scores, and its
events are a subsequence of the session's; saving appends exactly the new events; listed
actions get the whole session. Runs in the Rasa venv against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from testsupport.rasa_python import run_in_rasa_python

pytestmark = pytest.mark.integration

CHECK = r"""
import asyncio, random, sys, tempfile
from pathlib import Path
from rasa.core.tracker_store import SQLTrackerStore
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActiveLoop,
    AllSlotsReset, BotUttered, ConversationPaused, ConversationResumed, SessionStarted,
    SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig
from rasa.core.agent import load_agent
from saphan_rasa.tracker_store import WindowedSQLTrackerStore

WINDOW = 3
agent = asyncio.run(load_agent(model_path=sys.argv[1]))
domain = agent.domain
slots = [s.name for s in domain.slots if s.name != "session_started_metadata"]
forms = list(domain.form_names)
intents = list(domain.intents)
db = Path(tempfile.mkdtemp()) / "tracker.db"
full = SQLTrackerStore(domain, dialect="sqlite", db=str(db))
windowed = WindowedSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db),
                                   window_turns=WINDOW, full_history_actions=["action_emergency"])

def turn(rng, loop):
    out = [UserUttered(f"m{rng.random():.6f}", {"name": rng.choice(intents), "confidence": 1.0},
                       metadata={"language": rng.choice(["th", "en"])})]
    for _ in range(rng.randint(0, 3)):
        r = rng.random()
        if r < 0.45:
            out.append(SlotSet(rng.choice(slots), rng.choice([None, "Tak", "th", "x"])))
        elif r < 0.6:
            loop = rng.choice(forms + [None])
            out += [ActionExecuted(loop or "action_deactivate_loop"), ActiveLoop(loop)]
        elif r < 0.7 and loop:
            out.append(ActionExecutionRejected(loop))
        elif r < 0.75 and loop:
            out.append(ActionExecuted(loop))
        elif r < 0.8:
            out.append(AllSlotsReset())
        elif r < 0.84:
            out.append(rng.choice([ConversationPaused(), ConversationResumed()]))
        else:
            out.append(ActionExecuted(rng.choice(["action_show_menu", "action_thanks"])))
        out.append(BotUttered(f"b{rng.random():.4f}"))
    out += [ActionExecuted(rng.choice(["action_show_menu", "action_answer_rights"])),
            ActionExecuted("action_listen")]
    return out, loop

def same(a, b):
    assert a.current_state(EventVerbosity.NONE) == b.current_state(EventVerbosity.NONE)
    mine, theirs = (agent.processor._predict_next_with_tracker(t) for t in (a, b))
    assert (mine.policy_name, mine.probabilities) == (theirs.policy_name, theirs.probabilities)
    whole = iter([e.as_dict() for e in b.events])
    assert all(e.as_dict() in whole for e in a.events), "not a subsequence"

async def main():
    checked = shorter = 0
    for seed in range(6):
        rng, loop, sender = random.Random(seed), None, f"c{seed}"
        tracker = DialogueStateTracker(sender, domain.slots)
        for e in [ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen")]:
            tracker.update(e)
        await full.save(tracker)
        for n in range(40):
            events, loop = turn(rng, loop)
            current = await windowed.retrieve(sender)
            for e in events:
                current.update(e)
            await windowed.save(current)
            a, b = await windowed.retrieve(sender), await full.retrieve(sender)
            same(a, b)
            checked += 1
            shorter += len(a.events) < len(b.events)
        stored = [e.as_dict() for e in (await full.retrieve(sender)).events]
        assert len(stored) == len({(d["event"], d["timestamp"], str(d)) for d in stored})
    # the listed action gets the whole session, plus what this turn added; others the window
    tracker = await windowed.retrieve("c0")
    tracker.update(BotUttered("unsaved"))
    whole = [e.as_dict() for e in (await full.retrieve("c0")).events]
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook")
    sent = RemoteAction("action_emergency", endpoint)._action_call_format(tracker, domain)
    assert sent["tracker"]["events"] == whole + [tracker.events[-1].as_dict()]
    other = RemoteAction("action_thanks", endpoint)._action_call_format(tracker, domain)
    assert len(other["tracker"]["events"]) == len(tracker.events) < len(whole)
    print(f"same state after {checked} turns; windowed shorter in {shorter}")

asyncio.run(main())
"""


def test_windowed_tracker_has_the_state_of_the_whole_session(rasa_model: Path) -> None:
    out = run_in_rasa_python(CHECK.replace("sys.argv[1]", repr(str(rasa_model))), timeout_s=600)
    checked, shorter = (int(x) for x in
                        out.split("same state after ")[1].replace(" turns; windowed shorter in",
                                                                    "").split())
    assert checked == 240 and shorter >= 30, out
