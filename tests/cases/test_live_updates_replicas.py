"""Several gateway replicas (issue 21): two real gateway processes on
one PostgreSQL; a case created through replica A reaches a caseworker's event stream on
replica B, filtered there by agency, and what crosses between them (NOTIFY) carries ids only;
a failed login on A slows the next one on B, a session made on B is valid (and ended) on A.
Plus the units: what goes on the wire, what comes off it, which broker a database gets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from agencies import store
from cases.accounts import add_caseworker
from cases.live import Broker, channel_for, unwire, wire
from saphan.db import in_session, reset_caches, session_scope
from saphan.processes import ProcessSpec, gateway_spec
from saphan.supervisor import Supervisor
from testsupport.channels import channels_json
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine
from testsupport.polling import wait_for
from testsupport.stack import stack_settings

POSTGRES_URL = __import__("os").environ.get("TEST_DATABASE_URL", "")
TOKEN = "test-internal-token-0123456789"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PERSONAL = "locked in a dormitory 7f3a"


# -- units -------------------------------------------------------------------------------------
def test_the_wire_carries_ids_only_and_the_receiver_reads_the_case_again() -> None:
    summary = {"id": 7, "priority": "urgent", "province": "Nan", "language": "my"}
    payload = wire({"kind": "case_created", "case": summary, "text": PERSONAL,
                    "note": {"body": PERSONAL}}, origin="a1")
    assert json.loads(payload) == {"o": "a1", "kind": "case_created", "case": 7}
    fresh = {"id": 7, "priority": "high", "province": "Nan"}
    assert unwire(payload, {7: fresh}.get) == {"kind": "case_created", "case": fresh}
    assert unwire(payload, {}.get) is None  # the case is gone (erased): nothing to tell
    message = wire({"kind": "message", "case_id": 7, "message_id": 9, "sender": "user"}, "a1")
    assert unwire(message, {}.get) == {"kind": "message", "case_id": 7, "message_id": 9,
                                       "sender": "user"}
    assert unwire("not json", {}.get) is None


def test_sqlite_keeps_the_in_memory_broker_and_postgresql_relays() -> None:
    assert Broker.for_database("sqlite:///var/x.db").relay is None
    assert Broker.for_database("postgresql://u:p@db/saphan").relay is not None
    assert channel_for("t_0123abcd") == "saphan_live_t_0123abcd"
    assert channel_for("Public-1") == "saphan_live_public_1"


# -- two gateway processes ---------------------------------------------------------------------
@dataclasses.dataclass
class Replicas:
    urls: list[str]
    database_url: str
    agencies: dict[str, int]


def _replica(settings: Any, name: str) -> ProcessSpec:
    return dataclasses.replace(gateway_spec(settings), name=name,
                               health_url=f"{settings.gateway_url}/openapi.json")


@pytest.fixture
def replicas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Replicas]:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    with migrated_database("postgresql", tmp_path, POSTGRES_URL) as url, FakeLine() as line:
        monkeypatch.setenv("SAPHAN_DATABASE_URL", url)
        reset_caches()
        with session_scope() as session:
            agencies = {"default": store.default_agency(session).id}
            agencies["police-nan"] = store.add(session, store.AgencyIn(
                code="police-nan", name_th="th", name_en="en",
                kind="anti_trafficking_police", provinces=("Nan",))).id
        in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")
        in_session(add_caseworker, "ursula", PASSWORD, "caseworker", "Ursula",
                   agencies["police-nan"])
        specs = []
        for name in ("gateway-a", "gateway-b"):
            settings = stack_settings(url, tmp_path, internal_api_token=TOKEN,
                                      line_api_base_url=line.url,
                                      line_channels=channels_json())
            specs.append(_replica(settings, name))
        with open(tmp_path / "gateways.log", "a", encoding="utf-8") as out:
            sup = Supervisor(specs, out=out)
            try:
                sup.start()
                sup.wait_healthy(timeout=90)
                yield Replicas([spec.health_url.removesuffix("/openapi.json")
                                for spec in specs], url, agencies)
            finally:
                sup.stop()
                reset_caches()


def _login(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=10)
    page = client.get("/dashboard/login").text
    found = CSRF.search(page)
    assert found
    done = client.post("/dashboard/login", data={"username": username, "password": PASSWORD,
                                                 "csrf": found.group(1)})
    assert done.status_code == 303, done.text
    return client


class Stream:
    """A caseworker's /dashboard/events on one replica, read in a thread."""

    def __init__(self, client: httpx.Client) -> None:
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        threading.Thread(target=self._read, args=(client,), daemon=True).start()

    def _read(self, client: httpx.Client) -> None:
        try:
            with client.stream("GET", "/dashboard/events") as stream:
                for line in stream.iter_lines():
                    self.connected.set()
                    if line.startswith("data: "):
                        self.events.append(json.loads(line[6:]))
        except httpx.HTTPError:
            return

    def cases(self) -> list[tuple[str, int]]:
        return [(e["kind"], e["case"]["id"]) for e in self.events if "case" in e]


def _create_case(url: str, **fields: Any) -> int:
    body = {"conversation_id": f"conv-{fields.get('province', 'x')}", "priority": "urgent",
            "source": "emergency", "language": "en", "summary": PERSONAL, **fields}
    response = httpx.post(f"{url}/internal/cases", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


class Notifies:
    """Every NOTIFY on the deployment's channel, as the replicas hear them."""

    def __init__(self, database_url: str) -> None:
        conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        schema = self.conn.execute("SELECT current_schema()").fetchone()
        assert schema is not None
        self.conn.execute(f'LISTEN "{channel_for(schema[0])}"')

    def payloads(self) -> list[str]:
        return [note.payload for note in self.conn.notifies(timeout=0.5)]


@pytest.mark.postgres
def test_a_case_created_on_one_replica_reaches_a_stream_on_the_other(replicas: Replicas) -> None:
    a, b = replicas.urls
    heard = Notifies(replicas.database_url)
    alice, ursula = Stream(_login(b, "alice")), Stream(_login(b, "ursula"))
    assert alice.connected.wait(10) and ursula.connected.wait(10)
    default_case = _create_case(a)  # no province: the default agency's (alice's)
    nan_case = _create_case(a, province="Nan")  # routed to the police in Nan (ursula's)
    wait_for(lambda: alice.cases() and ursula.cases(), timeout=10,
             describe=lambda: f"alice {alice.events}, ursula {ursula.events}")
    wait_for(lambda: len(alice.cases()) + len(ursula.cases()) >= 2, timeout=5)
    assert alice.cases() == [("case_created", default_case)]
    assert ursula.cases() == [("case_created", nan_case)]
    nan_event = next(e for e in ursula.events if e.get("case", {}).get("id") == nan_case)
    assert nan_event["case"]["province"] == "Nan"  # read again from the database on B
    payloads = heard.payloads()
    assert payloads and all("Nan" not in p and PERSONAL not in p for p in payloads)
    assert {json.loads(p)["case"] for p in payloads if '"case"' in p} >= {default_case,
                                                                         nan_case}


def _login_form(client: httpx.Client) -> str:
    found = CSRF.search(client.get("/dashboard/login").text)
    assert found
    return found.group(1)


@pytest.mark.postgres
def test_login_throttling_and_sessions_hold_across_replicas(replicas: Replicas) -> None:
    a, b = replicas.urls
    on_a = httpx.Client(base_url=a, timeout=10)
    on_b = httpx.Client(base_url=b, timeout=10)  # same account, same address, other replica
    b_form = _login_form(on_b)  # ready before: then B's try is one request within the wait
    for wait in (1.1, 2.1, 0):  # each failure's delay, so the next one counts (then 4 s)
        assert _try(on_a, "wrong").status_code == 401
        time.sleep(wait)
    early = on_b.post("/dashboard/login", data={"username": "alice", "password": PASSWORD,
                                                "csrf": b_form})
    assert early.status_code == 429 and early.headers["Retry-After"] in ("1", "2", "3", "4")
    session = wait_for(lambda: _logged_in(b), timeout=15)  # after the delay: in, on B
    on_a.cookies = session.cookies  # the session made on B is valid on A
    assert on_a.get("/dashboard").status_code == 200
    queue = session.get("/dashboard").text
    found = CSRF.search(queue)
    assert found
    assert session.post("/dashboard/logout", data={"csrf": found.group(1)}).status_code == 303
    assert on_a.get("/dashboard", follow_redirects=False).status_code in (303, 401)


def _try(client: httpx.Client, password: str) -> httpx.Response:
    return client.post("/dashboard/login", data={"username": "alice", "password": password,
                                                 "csrf": _login_form(client)})


def _logged_in(url: str) -> httpx.Client | None:
    client = httpx.Client(base_url=url, timeout=10)
    return client if _try(client, PASSWORD).status_code == 303 else None


@pytest.mark.postgres
def test_the_relay_comes_back_after_its_connection_is_cut(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    with migrated_database("postgresql", tmp_path, POSTGRES_URL) as url:
        monkeypatch.setenv("SAPHAN_DATABASE_URL", url)
        reset_caches()
        asyncio.run(_cut_and_heard_again(url))
        reset_caches()


async def _cut_and_heard_again(url: str) -> None:
    a, b = Broker.for_database(url), Broker.for_database(url)
    a.start()
    b.start()
    try:
        async with b.subscribe() as queue:
            heard = await _published_until_heard(a, queue, "before")
            assert heard == {"kind": "referral_incoming", "agency_id": 3, "referral_id": 1,
                             "state": "before"}
            conninfo = make_url(url).set(drivername="postgresql").render_as_string(
                hide_password=False)
            with psycopg.connect(conninfo, autocommit=True) as admin:
                cut = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query = %s", (f'LISTEN "{b.relay.channel}"',)).fetchall()
            assert cut  # b's listening connection is gone ...
            heard = await _published_until_heard(a, queue, "after")
            assert heard["state"] == "after"  # ... and b listens again
    finally:
        a.stop()
        b.stop()


async def _published_until_heard(broker: Broker, queue: asyncio.Queue[dict[str, Any]],
                                 state: str) -> dict[str, Any]:
    """Publish on `broker` every 0.2 s until the other replica's subscriber hears it (the
    listener may still be (re)connecting)."""
    for _ in range(50):
        broker.publish("referral_incoming", agency_id=3, referral_id=1, state=state)
        try:
            event = await asyncio.wait_for(queue.get(), 0.2)
        except TimeoutError:
            continue
        if event.get("state") == state:
            return event
    raise AssertionError(f"never heard {state}")
