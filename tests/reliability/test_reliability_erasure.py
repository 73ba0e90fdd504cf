"""Complete erasure (issue 16): after "delete my data" the person's LINE id, name, phone number
and message texts appear nowhere — in no table of the app database, in no table of Rasa's
tracker store (SQLite and PostgreSQL), and not in the raw bytes of the SQLite files (incl. the
write-ahead log). What the law needs stays, anonymised: the case with status and dates.

The whole path runs: signed LINE webhooks into the real gateway (served over HTTP), a fake
Rasa that keeps a SQL tracker like Rasa's and, on the confirming tap, calls the gateway's
internal erase API from inside the turn exactly like the action server does."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from log_capture import LogLines
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select, text
from sqlalchemy.engine import make_url

from cases import audit, referrals, service
from cases.accounts import add_caseworker
from cases.models import Case
from cases.vocab import REFERRAL_REASONS
from cli.models import load_all
from gateway.models import LineUser
from saphan.crypto import decrypt, is_encrypted
from saphan.db import in_session, make_engine, reset_caches
from screening import store
from screening.records import ScreeningRecord
from screening.scoring import ScreeningResult
from testsupport.cases import TOKEN
from testsupport.channels import CHANNELS, SECRETS
from testsupport.databases import postgres_schema_url, sqlite_url
from testsupport.fake_line import FakeLine
from testsupport.polling import wait_for
from testsupport.served import ServedApp

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")

NAME = "Aung Kyaw Moe"
PHONE = "0812345678"
PHONE_WRITTEN = "081-234-5678"
HELLO = f"Hello, my name is {NAME}"
CALL_ME = f"Please call me on {PHONE_WRITTEN}, I am at the Mahachai pier"
DELETE_TAP = "/affirm_delete"
CONFIRMATION = "Your data has been deleted."


@dataclass
class FakeRasa:
    """Rasa's REST channel, conversation lock and SQL tracker store (table `events`)."""

    tracker_url: str
    gateway_url: str = ""
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    erase_reports: list[dict] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        events = tracker_table()
        engine = make_engine(self.tracker_url)

        @app.post("/webhooks/rest/webhook")
        async def turn(request: Request) -> JSONResponse:
            body = await request.json()
            sender, message = body["sender"], body["message"]
            async with self.locks.setdefault(sender, asyncio.Lock()):  # Rasa's lock store
                if message == DELETE_TAP:  # action_delete_my_data, from inside the turn
                    async with httpx.AsyncClient(timeout=30) as client:
                        response = await client.post(
                            f"{self.gateway_url}/internal/conversations/{sender}/erase",
                            headers={"Authorization": f"Bearer {TOKEN}"})
                    response.raise_for_status()
                    self.erase_reports.append(response.json())
                    answer = CONFIRMATION
                else:
                    answer = f"bot heard: {message}"
                with engine.begin() as conn:  # the turn is saved after its actions ran
                    conn.execute(events.insert(), [
                        {"sender_id": sender, "type_name": "user", "timestamp": 1.0,
                         "intent_name": "inform", "action_name": None,
                         "data": json.dumps({"event": "user", "text": message,
                                             "metadata": body.get("metadata")})},
                        {"sender_id": sender, "type_name": "bot", "timestamp": 2.0,
                         "intent_name": None, "action_name": "utter",
                         "data": json.dumps({"text": answer})}])
            return JSONResponse([{"recipient_id": sender, "text": answer}])

        @app.put("/conversations/{sender}/tracker/events")
        async def replace_events(sender: str) -> JSONResponse:
            async with self.locks.setdefault(sender, asyncio.Lock()):  # waits for the turn
                return JSONResponse({"sender_id": sender, "events": []})

        return app


def tracker_table(metadata: MetaData | None = None) -> Table:
    """The columns of Rasa's SQLTrackerStore `events` table."""
    return Table("events", metadata or MetaData(),
                 Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                 Column("type_name", String(255)), Column("timestamp", Float),
                 Column("intent_name", String(255)), Column("action_name", String(255)),
                 Column("data", Text))


@dataclass
class Stack:
    app_url: str
    tracker_url: str
    gateway_url: str
    gateway_app: FastAPI
    line: FakeLine
    rasa: FakeRasa


@pytest.fixture
def stack(app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from gateway.app import create_app

    with ExitStack() as exits:
        if app_env.startswith("sqlite"):
            tracker_url = sqlite_url(tmp_path, "rasa_tracker.db")
        else:
            tracker_url = exits.enter_context(postgres_schema_url(POSTGRES_URL))
        metadata = MetaData()
        tracker_table(metadata)
        engine = make_engine(tracker_url)
        metadata.create_all(engine)
        engine.dispose()
        rasa = FakeRasa(tracker_url)
        served_rasa = exits.enter_context(ServedApp(rasa.app(), lifespan="off"))
        line = exits.enter_context(FakeLine())
        env = {"RASA_URL": served_rasa.url, "LINE_API_BASE_URL": line.url,
               "LINE_CHANNELS": json.dumps(CHANNELS), "INTERNAL_API_TOKEN": TOKEN,
               "TRACKER_STORE_URL": tracker_url, "INBOX_RETRY_BASE_S": "0.2",
               "INBOX_RETRY_MAX_S": "0.5"}
        for key, value in env.items():
            monkeypatch.setenv(f"SAPHAN_{key}", value)
        reset_caches()
        app = create_app()
        served = ServedApp(app)
        monkeypatch.setenv("SAPHAN_PUBLIC_BASE_URL", served.url)
        reset_caches()
        exits.enter_context(served)
        rasa.gateway_url = served.url
        yield Stack(app_env, tracker_url, served.url, app, line, rasa)


def send(stack: Stack, event: dict, user: str, expect: str) -> None:
    """One signed webhook; wait until the user got a message containing `expect`."""
    response = stack.line.send_webhook(stack.gateway_url, "public", SECRETS["public"], [event])
    assert response.status_code == 200, response.text
    stack.line.wait_for(lambda: any(expect in m.get("text", "")
                                    for _, m in stack.line.messages_to(user)), timeout=30)


def conversation_of(user: str) -> str:
    def lookup(session) -> str:  # type: ignore[no-untyped-def]
        return session.scalar(select(LineUser.conversation_id)
                              .where(LineUser.line_user_id == user))

    return wait_for(lambda: in_session(lookup), timeout=30)


def every_cell(url: str, tables: list[Table] | None) -> Iterator[tuple[str, str, str]]:
    """(table, column, value) of every non-null cell of every table at `url`, raw as stored;
    cells of encrypted columns also decrypted (so the check covers the plaintext too)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = [t.name for t in tables] if tables else inspect(conn).get_table_names()
            encrypted = {(t.name, c.name) for t in tables or [] for c in t.columns
                         if is_encrypted(c)}
            for name in names:
                result = conn.execute(text(f'SELECT * FROM "{name}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        if value is None:
                            continue
                        yield name, column, str(value)
                        if (name, column) in encrypted:
                            yield name, f"{column} (decrypted)", decrypt(str(value))
    finally:
        engine.dispose()


def sqlite_files(url: str) -> list[Path]:
    path = Path(make_url(url).database or "")
    return [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]


def test_delete_my_data_leaves_nothing_that_identifies_the_person(stack: Stack,
                                                                 log_lines: LogLines) -> None:
    user = f"U{uuid.uuid4().hex}"  # a LINE user id: U + 32 hex digits
    line = stack.line
    send(stack, line.text_event(user, HELLO), user, "bot heard")
    conversation = conversation_of(user)
    created = httpx.post(f"{stack.gateway_url}/internal/cases", timeout=10,
                         headers={"Authorization": f"Bearer {TOKEN}"}, json={
                             "conversation_id": conversation, "priority": "high",
                             "source": "request", "language": "en",
                             "summary": f"{NAME} asks for a call on {PHONE}",
                             "address": "Mahachai pier 7", "latitude": 13.54, "longitude": 100.27,
                             "screening": {"said": HELLO},
                             "transcript": [{"sender": "user", "text": HELLO}]})
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    before = len(line.messages_to(user))
    response = line.send_webhook(stack.gateway_url, "public", SECRETS["public"],
                                 [line.text_event(user, CALL_ME)])  # handoff: into the case
    assert response.status_code == 200
    line.wait_for(lambda: len(line.messages_to(user)) > before, timeout=30)
    assert any(m.body == CALL_ME for m in in_session(service.transcript, case_id))

    worker = in_session(add_caseworker, "erasure-cw", "correct horse battery", "caseworker")
    in_session(service.add_note, case_id, f"{NAME} called back from {PHONE}", worker.id)
    in_session(referrals.record_service_referral, case_id, "Shelter", REFERRAL_REASONS[0],
               worker.id, details=f"for {NAME}")
    record = ScreeningRecord(
        officer_id="", agency="Police", questionnaire_version="t",
        context={"met_at": f"{NAME}'s pier"}, answers={"q_documents": "yes"},
        result=ScreeningResult("likely", "adult", "l1", ("documents",),
                               {"documents": ("q_documents",)}))
    in_session(store.save_record, record, None, f"{NAME}, {PHONE_WRITTEN}")
    in_session(store.set_case, record.id, case_id)
    in_session(service.close, case_id, "ClosedReferred", f"{NAME} moved to a shelter", worker.id)

    send(stack, line.postback_event(user, DELETE_TAP), user, CONFIRMATION)  # delete my data
    [report] = stack.rasa.erase_reports
    assert report["users_deleted"] == 1 and report["cases_anonymised"] == 1
    assert report["screenings_anonymised"] == 1

    def settled() -> bool:  # tracker erased, the confirming event finished and deleted, scrubbed
        if stack.gateway_app.state.erasure.pending:
            return False
        cells = [v for _, _, v in every_cell(stack.app_url, load_all().metadata.sorted_tables)]
        return not any(user in v for v in cells)

    wait_for(settled, timeout=30)
    scrubbed = "vacuumed" if stack.app_url.startswith("postgresql") else "wal checkpointed"
    assert any(f"after an erasure: {scrubbed}" in line for line in log_lines.lines)
    needles = [user, conversation, NAME, PHONE, PHONE_WRITTEN, HELLO, CALL_ME, "Mahachai"]
    logged = [n for n in needles for line in log_lines.lines if n in line]
    assert not logged, logged  # nor in the log
    found = [(table, column, needle)
             for url, tables in ((stack.app_url, load_all().metadata.sorted_tables),
                                 (stack.tracker_url, None))
             for table, column, value in every_cell(url, tables)
             for needle in needles if needle in value]
    assert not found, found

    for url in (stack.app_url, stack.tracker_url):
        if url.startswith("sqlite"):
            files = sqlite_files(url)
            assert files
            for path in files:
                data = path.read_bytes()
                leaks = [n for n in needles if n.encode() in data]
                assert not leaks, f"{path.name} still holds {leaks}"

    case = in_session(service.get_case, case_id)  # what the law needs, anonymised
    assert (case.status, case.priority, case.source, case.language) == (
        "ClosedReferred", "high", "request", "en")
    assert case.created_at and case.closed_at and case.anonymised_at
    assert (case.summary, case.address, case.closure_reason, case.screening) == (
        "", None, None, None)
    assert in_session(service.transcript, case_id) == []
    assert in_session(service.notes, case_id) == []
    assert [e.kind for e in in_session(service.events, case_id)][-1] == "erased"
    erasures = [e for e in in_session(audit.entries, case_id) if e.action == "erase"]
    assert [(e.username, e.detail) for e in erasures] == [("system:erasure", "delete my data")]
    stored = in_session(store.load_record, record.id)
    assert (stored.answers, stored.context, stored.notes_encrypted) == ("{}", "{}", None)
    assert json.loads(stored.result)["category"] == "likely"

    send(stack, line.text_event(user, "hi again"), user, "bot heard: hi again")  # still served
    assert in_session(service.case_ids_of, conversation) == []  # a new user: nothing linked


def test_other_people_keep_their_data(stack: Stack) -> None:
    erased, kept = f"U{uuid.uuid4().hex}", f"U{uuid.uuid4().hex}"
    for user in (erased, kept):
        send(stack, stack.line.text_event(user, f"{HELLO} ({user[-4:]})"), user, "bot heard")
    send(stack, stack.line.postback_event(erased, DELETE_TAP), erased, CONFIRMATION)
    wait_for(lambda: not stack.gateway_app.state.erasure.pending, timeout=30)

    def rows_of(user: str) -> int:
        return sum(user in v for _, _, v in every_cell(stack.app_url,
                                                       load_all().metadata.sorted_tables))

    wait_for(lambda: rows_of(erased) == 0, timeout=30)
    assert rows_of(kept) >= 3  # user row, inbox event, outbox batch
    tracker = [v for _, _, v in every_cell(stack.tracker_url, None)]
    assert any(f"({kept[-4:]})" in v for v in tracker)
    assert not any(f"({erased[-4:]})" in v for v in tracker)
    assert in_session(lambda s: s.scalar(select(Case.id))) is None
