"""Publish/subscribe for live dashboard updates (server-sent events), across replicas.

Every gateway replica fans events out to its own subscribers (`Broker`). With PostgreSQL the
broker also relays each event to the other replicas through PostgreSQL LISTEN/NOTIFY
(`PostgresRelay`); on SQLite (one process) it stays in memory.

Why PostgreSQL LISTEN/NOTIFY and not Redis pub/sub: several replicas always share one
PostgreSQL (the inbox leases, sessions and the login limiter live there), while Redis is
optional (Rasa's lock store); NOTIFY needs no new dependency or service, and a notification
sent after the change committed is seen by the receiving replica together with that change.

What crosses replicas carries ids only (`wire`): a case summary travels as its id and the
receiving replica reads the summary from the database (`case_summary`) before it hands the
event to its subscribers, whose access filter (`dashboard.routes._LiveAccess`) applies there
as it does for local events. An event lost while the relay reconnects is caught up by the
dashboard, which reloads when its stream (re)connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue as thread_queue
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cases.models import Case
from saphan.db import in_session

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
CHANNEL_PREFIX = "saphan_live_"
#: Fields an event may carry to another replica: ids, flags and enumerations, never text a
#: person wrote, a name, a LINE id or a place. Anything else is dropped from the wire.
WIRE_FIELDS = frozenset({"case", "case_id", "message_id", "referral_id", "agency_id", "sender",
                         "state", "reminder", "limit", "channel", "held"})
RECONNECT_S = 1.0
#: Events waiting for the sender (a database that hangs must not grow memory): beyond this
#: they are dropped, as a slow subscriber's are.
OUTGOING_MAX = 1000
#: libpq options of the relay's connections: a dead peer is noticed within about 25 s.
CONNECT_OPTIONS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
                   "keepalives_interval": 5, "keepalives_count": 3}

Event = dict[str, Any]


def case_summary(case: Case) -> dict[str, Any]:
    """What a live event says of a case (the queue re-reads its rows; the alert needs these)."""
    return {"id": case.id, "priority": case.priority, "source": case.source,
            "status": case.status, "language": case.language, "province": case.province or "",
            "claimed": case.assignee_id is not None}


def wire(event: Event, origin: str) -> str:
    """The event as NOTIFY payload: `WIRE_FIELDS` only, a case summary as its id."""
    out: dict[str, Any] = {"o": origin, "kind": event["kind"]}
    for key in WIRE_FIELDS & event.keys():
        value = event[key]
        if key == "case":
            value = value.get("id") if isinstance(value, dict) else None
            if not isinstance(value, int):
                continue
        elif not (value is None or isinstance(value, int | bool | str)):
            continue
        out[key] = value
    return json.dumps(out, separators=(",", ":"))


def _read_summary(session: Session, case_id: int) -> dict[str, Any] | None:
    case = session.get(Case, case_id)
    return case_summary(case) if case is not None else None


def unwire(payload: str, load_summary: Callable[[int], dict[str, Any] | None]) -> Event | None:
    """The event a replica hands its subscribers for a NOTIFY `payload` (None: unreadable or
    its case is gone)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        return None
    event: Event = {"kind": data["kind"]}
    event.update((k, v) for k, v in data.items() if k in WIRE_FIELDS)
    if "case" in event:
        summary = load_summary(event["case"]) if isinstance(event["case"], int) else None
        if summary is None:
            return None
        event["case"] = summary
    return event


class Broker:
    """Each subscriber gets its own bounded queue; a slow one loses events, never blocks.
    `publish` may be called from any thread (request handlers run in a thread pool): events
    are handed to each subscriber's event loop, and to the relay (other replicas), if any."""

    def __init__(self, relay: PostgresRelay | None = None) -> None:
        self._queues: dict[asyncio.Queue[Event], asyncio.AbstractEventLoop] = {}
        self.origin = uuid.uuid4().hex
        self.relay = relay

    @classmethod
    def for_database(cls, database_url: str) -> Broker:
        """Relayed through PostgreSQL when the app database is PostgreSQL, else in memory."""
        if make_url(database_url).get_backend_name() != "postgresql":
            return cls()
        broker = cls()
        broker.relay = PostgresRelay(database_url, broker)
        return broker

    def start(self) -> None:
        if self.relay is not None:
            self.relay.start()

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()

    def publish(self, kind: str, **data: Any) -> None:
        event = {"kind": kind, **data}
        self.deliver(event)
        if self.relay is not None:
            self.relay.send(wire(event, self.origin))

    def deliver(self, event: Event) -> None:
        """Hand `event` to this replica's subscribers."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for queue, loop in list(self._queues.items()):
            if loop is here:
                _offer(queue, event)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_offer, queue, event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._queues[queue] = asyncio.get_running_loop()
        try:
            yield queue
        finally:
            self._queues.pop(queue, None)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


def _offer(queue: asyncio.Queue[Event], event: Event) -> None:
    if not queue.full():
        queue.put_nowait(event)


def sse(event: Event) -> str:
    """One server-sent event frame."""
    return f"event: {event['kind']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"


def channel_for(schema: str) -> str:
    """The NOTIFY channel of one deployment: per schema, so deployments (or test runs) that
    share a database in different schemas never hear each other."""
    return (CHANNEL_PREFIX + re.sub(r"[^a-z0-9_]", "_", schema.lower()))[:63]


class PostgresRelay:
    """Two threads with a connection each: one sends this replica's events (`pg_notify`, so
    `publish` never waits for the database), one listens and hands other replicas' events to
    the broker. Both reconnect after a lost connection."""

    def __init__(self, database_url: str, broker: Broker) -> None:
        parsed = make_url(database_url)
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self._broker = broker
        self._outgoing: thread_queue.Queue[str | None] = thread_queue.Queue(OUTGOING_MAX)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.channel = ""

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._listen, name="live-listen", daemon=True),
                         threading.Thread(target=self._send, name="live-send", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(thread_queue.Full):
            self._outgoing.put_nowait(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def send(self, payload: str) -> None:
        with contextlib.suppress(thread_queue.Full):
            self._outgoing.put_nowait(payload)

    def _connect(self) -> Any:
        import psycopg  # the PostgreSQL driver; not needed on SQLite

        conn = psycopg.connect(self._conninfo, autocommit=True, **CONNECT_OPTIONS)
        schema = conn.execute("SELECT current_schema()").fetchone()
        self.channel = channel_for(schema[0] if schema and schema[0] else "public")
        return conn

    def _send(self) -> None:
        conn = None
        while not self._stop.is_set():
            try:
                payload = self._outgoing.get(timeout=0.5)
            except thread_queue.Empty:
                continue
            if payload is None:
                break
            try:
                if conn is None or conn.closed:
                    conn = self._connect()
                conn.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
            except Exception as exc:  # the event is lost for other replicas; they catch up
                log.warning("live relay: sending failed (%s)", type(exc).__name__)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._received(note.payload)
            except Exception as exc:
                log.warning("live relay: listening failed (%s); reconnecting",
                            type(exc).__name__)
                self._stop.wait(RECONNECT_S)

    def _received(self, payload: str) -> None:
        if not self._broker.subscribers or f'"o":"{self._broker.origin}"' in payload:
            return  # nobody here to tell, or this replica's own event
        try:
            event = unwire(payload, lambda case_id: in_session(_read_summary, case_id))
        except Exception as exc:
            log.warning("live relay: reading an event failed (%s)", type(exc).__name__)
            return
        if event is not None:
            self._broker.deliver(event)
