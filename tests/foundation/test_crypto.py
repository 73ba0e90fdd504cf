"""Encryption at rest (saphan/crypto.py, issue 16): the database holds no plaintext message,
note, closure reason, address or screening answer (read with raw SQL on SQLite and
PostgreSQL); the app reads them back; key rotation; migration 0007 encrypts existing rows."""

from __future__ import annotations

import json

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import text
from typer.testing import CliRunner

from cases import referrals, service
from cases.accounts import add_caseworker
from cases.service import NewCase
from cases.vocab import REFERRAL_REASONS
from cli.main import app as cli
from cli.models import load_all
from gateway import inbox, outbox
from saphan import crypto
from saphan.db import in_session, make_engine, reset_caches, session_scope
from saphan.migrate import alembic_config, upgrade
from saphan.settings import DEV_ENCRYPTION_KEY, Settings
from screening import store
from screening.records import ScreeningRecord
from screening.scoring import ScreeningResult

SECRET_TEXTS = ("Aung Kyaw Moe", "0812345678", "locked in the Mahachai boat shed",
                "passport kept by Somchai", "closed: moved to Ranong shelter", "Pier 7 gate")


def settings_with(keys: str) -> Settings:
    return Settings(encryption_keys=keys, screening_notes_key="")


def test_round_trip_and_tokens_hide_the_text() -> None:
    settings = settings_with(Fernet.generate_key().decode())
    token = crypto.encrypt("ข้อความ Aung Kyaw Moe", settings)
    assert "Aung" not in token and crypto.decrypt(token, settings) == "ข้อความ Aung Kyaw Moe"
    assert crypto.encrypt("same", settings) != crypto.encrypt("same", settings)  # randomised
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, settings_with(Fernet.generate_key().decode()))


def test_column_types_store_tokens_and_give_back_values() -> None:
    dialect = make_engine("sqlite://").dialect
    as_json, as_text = crypto.EncryptedJSON(), crypto.EncryptedText()
    stored = as_json.process_bind_param({"name": SECRET_TEXTS[0], "n": [1]}, dialect)
    assert stored and SECRET_TEXTS[0] not in stored
    assert as_json.process_result_value(stored, dialect) == {"name": SECRET_TEXTS[0], "n": [1]}
    stored = as_text.process_bind_param("a\x00b", dialect)
    assert as_text.process_result_value(stored, dialect) == "a\ufffdb"  # as saphan.db stores NUL
    assert as_text.process_bind_param(None, dialect) is None


def test_unusable_keys_are_named_never_shown() -> None:
    with pytest.raises(crypto.EncryptionKeyError, match="SAPHAN_ENCRYPTION_KEYS is empty"):
        crypto.encrypt("x", settings_with(""))
    bad = "not-a-fernet-key-but-a-secret"
    with pytest.raises(crypto.EncryptionKeyError, match="key 2 is not a Fernet key") as caught:
        crypto.encrypt("x", settings_with(f"{DEV_ENCRYPTION_KEY},{bad}"))
    assert bad not in str(caught.value)


def test_old_screening_notes_key_still_opens_its_notes() -> None:
    old = Fernet.generate_key().decode()
    token = Fernet(old.encode()).encrypt(b"old notes").decode()
    settings = Settings(encryption_keys=Fernet.generate_key().decode(), screening_notes_key=old)
    assert crypto.decrypt(token, settings) == "old notes"
    assert crypto.decrypt(crypto.rotate(token, settings),
                          settings_with(settings.encryption_keys.get_secret_value())
                          ) == "old notes"


def _write_everything() -> dict[str, int | str]:
    """One of each encrypted thing, written through the owners' functions."""
    event = {"type": "message", "webhookEventId": "01SECRET", "timestamp": 1,
             "replyToken": "r" * 32, "source": {"type": "user", "userId": "Usecret"},
             "message": {"type": "text", "id": "1", "text": f"I am {SECRET_TEXTS[0]}"}}
    with session_scope() as session:
        inbox.store_events(session, "public", [event])
        outbox.record(session, None, "public", "Usecret", "answer",
                      [[{"type": "text", "text": f"call {SECRET_TEXTS[1]}"}]])
        worker = add_caseworker(session, "crypto-cw", "correct horse battery", "caseworker")
        case = service.create_case(session, NewCase(
            conversation_id="conv-secret", priority="high", source="request",
            summary=SECRET_TEXTS[2], address=SECRET_TEXTS[5], screening={"note": SECRET_TEXTS[0]},
            transcript=[{"sender": "user", "text": SECRET_TEXTS[2]}])).case
        service.add_message(session, case.id, "user", f"my phone is {SECRET_TEXTS[1]}")
        service.add_note(session, case.id, SECRET_TEXTS[3], worker.id)
        referrals.record_service_referral(session, case.id, "Shelter", REFERRAL_REASONS[0],
                                          worker.id, details=SECRET_TEXTS[3])
        service.close(session, case.id, "Closed", SECRET_TEXTS[4], worker.id)
        record = ScreeningRecord(
            officer_id="", agency="Police", questionnaire_version="t",
            context={"where": SECRET_TEXTS[5]}, answers={"q_debt": SECRET_TEXTS[0]},
            result=ScreeningResult("likely", "adult", "l1", ("debt",), {"debt": ("q_debt",)}))
        store.save_record(session, record, None, SECRET_TEXTS[3])
        store.set_case(session, record.id, case.id)
    return {"case": case.id, "record": record.id}


def _raw_cells(url: str) -> list[str]:
    """Every cell of every app table, read with plain SQL (no decryption)."""
    engine = make_engine(url)
    cells: list[str] = []
    try:
        with engine.connect() as conn:
            for table in load_all().metadata.sorted_tables:
                for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                    cells.extend(str(value) for value in row)
    finally:
        engine.dispose()
    return cells


def test_no_plaintext_in_the_database_and_the_app_reads_it_back(app_env: str) -> None:
    ids = _write_everything()
    cells = _raw_cells(app_env)
    assert cells
    for secret in SECRET_TEXTS:
        assert not [c for c in cells if secret in c], f"{secret!r} stored in plaintext"
    case_id = int(ids["case"])
    case = in_session(service.get_case, case_id)
    assert (case.summary, case.address, case.closure_reason) == (
        SECRET_TEXTS[2], SECRET_TEXTS[5], SECRET_TEXTS[4])
    assert [m.body for m in in_session(service.transcript, case_id)][-1].endswith(SECRET_TEXTS[1])
    assert [n.body for n in in_session(service.notes, case_id)] == [SECRET_TEXTS[3]]
    row = in_session(store.load_record, str(ids["record"]))
    assert json.loads(row.answers) == {"q_debt": SECRET_TEXTS[0]}
    assert store.record_notes(row) == SECRET_TEXTS[3]


def test_rotation_re_encrypts_under_the_new_key(app_env: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(keys: str) -> None:
        monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", keys)
        reset_caches()

    use(key_a)
    ids = _write_everything()
    use(f"{key_b},{key_a}")  # the new key first: written with A, still readable
    assert in_session(service.get_case, int(ids["case"])).closure_reason == SECRET_TEXTS[4]
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "case_notes.body: 1 re-encrypted" in result.output
    assert "screening_records.notes_encrypted: 1 re-encrypted" in result.output
    use(key_b)  # the old key dropped: everything opens with B alone
    row = in_session(store.load_record, str(ids["record"]))
    assert store.record_notes(row) == SECRET_TEXTS[3]
    assert [n.body for n in in_session(service.notes, int(ids["case"]))] == [SECRET_TEXTS[3]]
    assert in_session(inbox.claim_next, "public", "Usecret").payload["message"]["text"].endswith(
        SECRET_TEXTS[0])
    use(key_a)  # and no longer with A
    with pytest.raises(crypto.DecryptionError):
        in_session(service.get_case, int(ids["case"]))


def test_rotation_with_a_missing_key_changes_nothing(app_env: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _write_everything()
    monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    reset_caches()
    before = _raw_cells(app_env)
    result = CliRunner().invoke(cli, ["keys", "rotate"])
    assert result.exit_code == 1 and "nothing was changed" in result.output
    assert _raw_cells(app_env) == before


def test_migration_0007_encrypts_existing_rows_and_downgrade_decrypts(
        app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old_notes_key = Fernet.generate_key().decode()
    monkeypatch.setenv("SAPHAN_SCREENING_NOTES_KEY", old_notes_key)
    reset_caches()
    config = alembic_config(app_env)
    command.downgrade(config, "0006_accounts_sessions")
    engine = make_engine(app_env)
    now = "2026-01-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO cases (id, conversation_id, status, priority, source, language, summary,"
            " handoff_active, closure_reason, notify_level, created_at, updated_at, address)"
            " VALUES (1, 'c', 'Closed', 'high', 'request', 'en', :s, false, :r, 0, :t, :t, :a)"),
            {"s": SECRET_TEXTS[2], "r": SECRET_TEXTS[4], "t": now, "a": SECRET_TEXTS[5]})
        conn.execute(text("INSERT INTO case_notes (id, case_id, body, at) VALUES (1, 1, :b, :t)"),
                     {"b": SECRET_TEXTS[3], "t": now})
        conn.execute(text("INSERT INTO case_messages (id, case_id, sender, kind, body, at)"
                          " VALUES (1, 1, 'user', 'text', :b, :t)"),
                     {"b": SECRET_TEXTS[0], "t": now})
        conn.execute(text(
            "INSERT INTO screening_records (id, agency, created_at, questionnaire_version,"
            " context, answers, result, category, stopped_early, notes_encrypted, case_id)"
            " VALUES ('r1', 'Police', :t, 'v', '{}', :a, '{}', 'likely', false, :n, 1)"),
            {"t": now, "a": json.dumps({"q": SECRET_TEXTS[1]}),
             "n": Fernet(old_notes_key.encode()).encrypt(b"old notes").decode()})
    upgrade(app_env)
    monkeypatch.setenv("SAPHAN_SCREENING_NOTES_KEY", "")  # the notes moved to the new keys
    reset_caches()
    assert store.record_notes(in_session(store.load_record, "r1")) == "old notes"
    cells = _raw_cells(app_env)
    assert not [c for c in cells if any(secret in c for secret in SECRET_TEXTS)]
    assert in_session(service.get_case, 1).closure_reason == SECRET_TEXTS[4]
    assert [m.body for m in in_session(service.transcript, 1)] == [SECRET_TEXTS[0]]
    command.downgrade(config, "0006_accounts_sessions")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM case_notes")).scalar_one() == SECRET_TEXTS[3]
        assert conn.execute(text("SELECT address FROM cases")).scalar_one() == SECRET_TEXTS[5]
        assert conn.execute(text("SELECT count(*) FROM case_messages")).scalar_one() == 1
    engine.dispose()
    upgrade(app_env)
