"""Rasa's SQL tracker store with a turn cost that does not grow with the conversation (issue 22).

Rasa 3.6 loads and replays every event of the current session on each message, its policies
replay them again to build past states, every action-server call carries all of them and the
save counts them: turn 200 of one session cost ~9x turn 1 in Rasa's CPU. Here `retrieve` gives
the processor the session's last `window_turns` turns (from the `window_turns`-th latest
`action_listen` on) plus, before them, the few older events that still define the state there
— the latest `SlotSet` of each slot (after the latest slot reset), a pause — all real events in
their stored order. Replaying them gives the same slots, active loop, pause, latest
message and latest action as replaying the whole session, and the same dialogue states for the
last turns (the policies look back at most a few: rules of 1-3 turns, memoization 5 states).
Older turns stay stored and are what `retrieve_full_tracker` (the HTTP API) returns.

- `save` appends the events added since `retrieve` (no count of the stored session).
- Actions in `full_history_actions` (those that put the session's transcript into a case) get
  the whole session's events, as before; other actions see the window.
- A session with an undo/rewind before the window (which replays history), or with a form
  active since before the window, is loaded whole (a 60-question officer screening failed
  with the form's activation restored alone; so a turn inside a long form still costs as
  before, bounded by the form's length).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

#: Events that undo earlier ones by replaying history: with one before the window, load all.
REPLAYING = frozenset({"rewind", "undo"})
#: Attributes set on a windowed tracker: events already stored, and the full-session loader.
STORED, FULL_EVENTS = "_saphan_stored", "_saphan_full_events"


class WindowedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` (same table, same rows) whose `retrieve` returns a bounded window."""

    def __init__(self, *args: Any, window_turns: int | str = 8,
                 full_history_actions: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_turns = int(window_turns)
        self.full_history_actions = frozenset(full_history_actions or ())
        self.table = self.SQLEvent.__table__
        send_full_history_to_listed_actions()

    # -- queries --------------------------------------------------------------------------------
    def _session_filter(self, conn: Any, sender_id: str) -> Any:
        """Rasa's own definition of the current session: events at or after the latest
        `session_started` timestamp (all events when there is none); read once per call."""
        t = self.table
        start = conn.execute(sa.select(sa.func.max(t.c.timestamp)).where(
            t.c.sender_id == sender_id, t.c.type_name == SessionStarted.type_name)).scalar()
        if start is None:
            return t.c.sender_id == sender_id
        return sa.and_(t.c.sender_id == sender_id, t.c.timestamp >= start)

    def _window_ids(self, conn: Any, sender_id: str) -> list[int] | None:
        """Ids of the events to load, in order; None to load the whole session."""
        t, session = self.table, self._session_filter(conn, sender_id)
        start = conn.execute(
            sa.select(t.c.id).where(session, t.c.type_name == "action",
                                    t.c.action_name == "action_listen")
            .order_by(t.c.id.desc()).limit(1).offset(self.window_turns - 1)).scalar()
        if start is None:
            return None  # a short session: all of it
        latest: dict[tuple[str, str | None], int] = {
            (kind, name): int(last) for kind, name, last in conn.execute(
                sa.select(t.c.type_name, t.c.action_name, sa.func.max(t.c.id))
                .where(session, t.c.id < start).group_by(t.c.type_name, t.c.action_name))}

        def last(kind: str, name: str | None = None, any_name: bool = False) -> int:
            ids = [i for (k, n), i in latest.items() if k == kind and (any_name or n == name)]
            return max(ids, default=0)

        restart = last("restart")
        if any(last(kind, any_name=True) > restart for kind in REPLAYING):
            return None
        keep = [i for (kind, _), i in latest.items()
                if kind == "slot" and i > max(restart, last("reset_slots"))]
        paused = last("pause")
        if paused > max(restart, last("resume")):
            keep.append(paused)
        loop_id = last("active_loop", any_name=True)
        loop = next((n for (k, n), i in latest.items() if k == "active_loop" and i == loop_id),
                    None)
        if loop is not None and loop_id > restart:
            return None  # a form active since before the window: the whole session, as Rasa
        window = [int(i) for i in conn.execute(
            sa.select(t.c.id).where(session, t.c.id >= start).order_by(t.c.id)).scalars()]
        return sorted(keep) + window

    def _load(self, sender_id: str, ids: list[int] | None) -> list[dict[str, Any]]:
        t = self.table
        with self.engine.connect() as conn:
            if ids is None:
                query = (sa.select(t.c.data).where(self._session_filter(conn, sender_id))
                         .order_by(t.c.id))
            else:
                query = sa.select(t.c.data).where(t.c.id.in_(ids)).order_by(t.c.id)
            return [json.loads(data) for data in conn.execute(query).scalars()]

    # -- TrackerStore ---------------------------------------------------------------------------
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session's tracker, bounded to the last `window_turns` turns."""
        if self.window_turns <= 0:
            return await super().retrieve(sender_id)
        with self.engine.connect() as conn:
            ids = self._window_ids(conn, sender_id)
        events = self._load(sender_id, ids)
        if not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots,
                                                 max_event_history=self.max_event_history)
        setattr(tracker, STORED, len(tracker.events))
        if ids is not None:
            setattr(tracker, FULL_EVENTS, lambda action: self.full_session_events(tracker)
                    if action in self.full_history_actions else None)
        return tracker

    def full_session_events(self, tracker: DialogueStateTracker) -> list[dict[str, Any]]:
        """The whole session as the action server would get it without the window: the stored
        events, then those this turn added (not stored yet)."""
        stored = deserialise_events(self._load(tracker.sender_id, None))
        added = list(tracker.events)[getattr(tracker, STORED, len(tracker.events)):]
        return [event.as_dict() for event in [*stored, *added]]

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the events added since `retrieve`; other trackers as Rasa does."""
        stored = getattr(tracker, STORED, None)
        if stored is None:
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        added = list(tracker.events)[stored:]
        if added:
            rows = []
            for event in added:
                data = event.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id, "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                    "action_name": data.get("name"), "data": json.dumps(data)})
            with self.engine.begin() as conn:
                conn.execute(self.table.insert(), rows)
        setattr(tracker, STORED, len(tracker.events))


def send_full_history_to_listed_actions() -> None:
    """`RemoteAction` sends the whole session's events to the actions a windowed tracker's
    store lists in `full_history_actions` (other calls: the tracker's own, the window)."""
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._action_call_format
    if getattr(original, "saphan_full_history", False):
        return

    def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker,
                            domain: Any) -> dict[str, Any]:
        result = original(self, tracker, domain)
        full = getattr(tracker, FULL_EVENTS, None)
        events = full(self.name()) if full is not None else None
        if events is not None:
            result["tracker"]["events"] = events
        return result

    _action_call_format.saphan_full_history = True  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
