"""Screening records on real databases: notes are ciphertext at rest; export; migration."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import Result
from cryptography.fernet import Fernet
from pytest import MonkeyPatch
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from cli.models import load_all
from saphan.db import get_engine, make_engine, reset_caches
from saphan.settings import Settings
from screening import store
from screening.adaptive import AdaptivePlanner
from screening.htcds import default_mapping
from screening.loader import ScreeningData
from screening.notes import NotesKeyError
from screening.session import ScreeningSession
from screening.store import record_notes
from testsupport.databases import scoped

save_record = scoped(store.save_record)
load_record = scoped(store.load_record)
all_records = scoped(store.all_records)
SCREENING_TABLES = {"enrollment_codes", "officers", "screening_records"}


def _finished(data: ScreeningData, planner: AdaptivePlanner, answer: str) -> ScreeningSession:
    session = ScreeningSession.start(data, planner, "en")
    while (prompt := session.prompt()) is not None:
        if prompt.kind == "context":
            session.answer(prompt.options[0][0] if prompt.options else "Chonburi")
        else:
            session.answer(answer)
    return session


def test_notes_are_encrypted_at_rest(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    settings = Settings(encryption_keys=Fernet.generate_key().decode())
    record = _finished(data, planner, "yes").record("7", "Police")
    notes = "Met at the pier in Mahachai; passport kept by the boat owner."
    save_record(record, None, notes, settings)

    with get_engine().connect() as conn:
        raw = conn.execute(text("SELECT notes_encrypted FROM screening_records")).scalar_one()
    assert "passport" not in raw and "Mahachai" not in raw
    assert record_notes(load_record(record.id), settings) == notes
    other = Settings(encryption_keys=Fernet.generate_key().decode())
    try:
        record_notes(load_record(record.id), other)
    except NotesKeyError:
        pass
    else:
        raise AssertionError("a different key opened the notes")


def test_notes_without_a_key_store_nothing(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    record = _finished(data, planner, "no").record("7", "Police")
    try:
        save_record(record, None, "some notes",
                    Settings(encryption_keys="", screening_notes_key=""))
    except NotesKeyError:
        pass
    else:
        raise AssertionError("notes saved without a key")
    assert load_record(record.id) is None


def test_notes_command_encrypts_and_shows(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner, monkeypatch: MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", key)
    reset_caches()
    record = _finished(data, planner, "no").record("7", "Police")
    save_record(record, None)
    runner = CliRunner()

    def invoke(key: str, *args: str, stdin: str = "") -> Result:
        monkeypatch.setenv("SAPHAN_ENCRYPTION_KEYS", key)
        reset_caches()
        return runner.invoke(app, ["officer", "notes", *args], input=stdin)

    added = invoke(key, record.id, stdin="Boat ZX-12\n")
    assert added.exit_code == 0, added.output
    assert "ZX-12" not in (load_record(record.id).notes_encrypted or "ZX-12")
    assert invoke(key, record.id, "--show").stdout.strip() == "Boat ZX-12"
    no_key = invoke("", record.id, stdin="x")
    assert no_key.exit_code == 1 and "SAPHAN_ENCRYPTION_KEYS" in no_key.output
    missing = invoke(key, "nope", stdin="x")
    assert missing.exit_code == 1 and "no screening" in missing.output


def test_stored_records_round_trip_and_export(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    record = _finished(data, planner, "yes").record("7", "Police")
    save_record(record, None)
    (loaded,) = all_records()
    assert loaded.result == record.result and dict(loaded.answers) == dict(record.answers)
    exported = CliRunner().invoke(app, ["officer", "export", "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    header = exported.stdout.splitlines()[0].split(",")
    assert header == default_mapping().columns()
    assert record.id in exported.stdout


def test_screening_tables_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_all().metadata)
    engine.dispose()
    assert not any(SCREENING_TABLES & set(_names(d)) for d in diff), diff


def _names(item: object) -> list[str]:
    if isinstance(item, list):
        return [n for sub in item for n in _names(sub)]
    names = []
    for part in item[1:] if isinstance(item, tuple) else []:
        table = getattr(part, "table", None)
        names.append(table.name if table is not None else getattr(part, "name", str(part)))
    return names
