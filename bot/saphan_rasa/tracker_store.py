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
- Finding the window costs the same at any session length: its lookups are seeks on an index
  the store creates at start-up (`WINDOW_INDEX`, `ensure_window_index`).
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
#: Kinds whose latest event (of any name) before the window decides what to load.
#: Their events carry no name (`action_name` NULL); `active_loop` is looked up per loop name.
NAMELESS = ("restart", "reset_slots", "pause", "resume", *sorted(REPLAYING))
#: Attributes set on a windowed tracker: events already stored, and the full-session loader.
STORED, FULL_EVENTS = "_saphan_stored", "_saphan_full_events"
#: The index on Rasa's `events` table that the window's lookups seek on (Rasa's own indexes
#: only `sender_id`). An operator may create it beforehand, e.g. `CONCURRENTLY` on a large
#: PostgreSQL table (a plain CREATE INDEX blocks writes to the table while it builds).
WINDOW_INDEX = "saphan_events_window"
WINDOW_INDEX_COLUMNS = "sender_id, type_name, action_name, id"
#: PostgreSQL advisory lock key serialising the index creation of replicas starting at once.
INDEX_LOCK_KEY = 0x5A9A_0022


class WindowedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` (same table, same rows) whose `retrieve` returns a bounded window."""

    def __init__(self, *args: Any, window_turns: int | str = 8,
                 full_history_actions: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_turns = int(window_turns)
        self.full_history_actions = frozenset(full_history_actions or ())
        self.table = self.SQLEvent.__table__
        self._latest_statements: dict[tuple[Any, ...], Any] = {}
        ensure_window_index(self.engine)
        send_full_history_to_listed_actions()

    # -- queries --------------------------------------------------------------------------------
    def _session_start(self, conn: Any, sender_id: str) -> float | None:
        """Timestamp of the latest `session_started` (None: no session start stored)."""
        t = self.table
        return conn.execute(sa.select(sa.func.max(t.c.timestamp)).where(
            t.c.sender_id == sender_id, t.c.type_name == SessionStarted.type_name)).scalar()

    def _session_filter(self, sender_id: str, since: float | None) -> Any:
        """Rasa's own definition of the current session: events at or after the latest
        `session_started` timestamp (all events when there is none)."""
        t = self.table
        if since is None:
            return t.c.sender_id == sender_id
        return sa.and_(t.c.sender_id == sender_id, t.c.timestamp >= since)

    def _latest_before(self, conn: Any, sender_id: str, start: int,
                       since: float | None) -> dict[tuple[str, str | None], int]:
        """Id of the latest session event before `start` of each slot (key `("slot", name)`),
        each loop (`("active_loop", name)`, None: deactivated) and each kind in `NAMELESS`
        (`(kind, None)`); absent ones are left out. One statement of "latest before" lookups,
        each one seek on `WINDOW_INDEX`, so its cost does not grow with the session (the GROUP
        BY over the session's rows it replaces did)."""
        slots = tuple(slot.name for slot in self.domain.slots) if self.domain else ()
        loops = tuple(self.domain.form_names) if self.domain else ()
        groups = ([("slot", name) for name in slots]
                  + [("active_loop", name) for name in (*loops, None)]
                  + [(kind, None) for kind in NAMELESS])
        key = (slots, loops, since is None)
        statement = self._latest_statements.get(key)
        if statement is None:
            statement = self._latest_statements[key] = self._latest_statement(groups,
                                                                              since is None)
        row = conn.execute(statement, {"sender": sender_id, "start": start,
                                       "since": since}).one()
        return {group: int(i) for group, i in zip(groups, row, strict=True) if i is not None}

    def _latest_statement(self, groups: list[tuple[str, str | None]], whole: bool) -> Any:
        """The statement of `_latest_before`, built once per domain (building it cost more than
        running it)."""
        t = self.table
        start = sa.bindparam("start")
        session = [t.c.sender_id == sa.bindparam("sender")]
        if not whole:
            session.append(t.c.timestamp >= sa.bindparam("since"))
        lookups = []
        for kind, name in groups:
            # (sender_id, type_name, action_name, id < start): one seek on `WINDOW_INDEX`
            named = t.c.action_name.is_(None) if name is None else t.c.action_name == name
            lookup = (sa.select(t.c.id).where(*session, t.c.type_name == kind, named,
                                                t.c.id < start)
                      .order_by(t.c.id.desc()).limit(1))
            lookups.append(lookup.scalar_subquery())
        return sa.select(*lookups)

    def _window_ids(self, conn: Any, sender_id: str) -> list[int] | None:
        """Ids of the events to load, in order; None to load the whole session."""
        t = self.table
        since = self._session_start(conn, sender_id)
        session = self._session_filter(sender_id, since)
        start = conn.execute(
            sa.select(t.c.id).where(session, t.c.type_name == "action",
                                    t.c.action_name == "action_listen")
            .order_by(t.c.id.desc()).limit(1).offset(self.window_turns - 1)).scalar()
        if start is None:
            return None  # a short session: all of it
        latest = self._latest_before(conn, sender_id, start, since)

        def last(kind: str) -> int:
            return latest.get((kind, None), 0)

        loop_id, loop = max(((i, name) for (kind, name), i in latest.items()
                             if kind == "active_loop"), default=(0, None))
        restart = last("restart")
        if any(last(kind) > restart for kind in REPLAYING):
            return None
        keep = [i for (kind, _), i in latest.items()
                if kind == "slot" and i > max(restart, last("reset_slots"))]
        paused = last("pause")
        if paused > max(restart, last("resume")):
            keep.append(paused)
        if loop is not None and loop_id > restart:
            return None  # a form active since before the window: the whole session, as Rasa
        window = [int(i) for i in conn.execute(
            sa.select(t.c.id).where(session, t.c.id >= start).order_by(t.c.id)).scalars()]
        return sorted(keep) + window

    def _load(self, sender_id: str, ids: list[int] | None) -> list[dict[str, Any]]:
        t = self.table
        with self.engine.connect() as conn:
            if ids is None:
                session = self._session_filter(sender_id, self._session_start(conn, sender_id))
                query = sa.select(t.c.data).where(session).order_by(t.c.id)
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


def ensure_window_index(engine: Any) -> None:
    """Create `WINDOW_INDEX` if missing (idempotent). On PostgreSQL, replicas starting at once
    take an advisory lock first: concurrent `CREATE INDEX IF NOT EXISTS` can otherwise fail on
    a duplicate catalog entry. A failure is logged, not raised: the window stays correct,
    only slower."""
    statement = sa.text(f"CREATE INDEX IF NOT EXISTS {WINDOW_INDEX} "
                        f"ON events ({WINDOW_INDEX_COLUMNS})")
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                             {"key": INDEX_LOCK_KEY})
            conn.execute(statement)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("could not create index %s: %s", WINDOW_INDEX, type(exc).__name__)


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
