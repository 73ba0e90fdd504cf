"""Screening records on real databases: notes are ciphertext at rest; export; migration."""

from __future__ import annotations

from dataclasses import replace

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import Result
from cryptography.fernet import Fernet
from pytest import MonkeyPatch
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from cases import service
from cases.service import NewCase
from cli.main import app
from cli.models import load_all
from saphan.db import get_engine, in_session, make_engine, reset_caches
from saphan.migrate import alembic_config, upgrade
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


def test_person_mode_is_stored_and_read_back(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    asked = _finished(data, planner, "no").record("7", "Police")
    person = replace(asked, id="p-1", answered_by="person", person_language="km",
                     drafts_shown=True)
    save_record(asked, None)
    save_record(person, None)
    loaded = {record.id: record for record in all_records()}
    assert (loaded[asked.id].answered_by, loaded[asked.id].person_language,
            loaded[asked.id].drafts_shown) == ("officer", None, False)
    assert (loaded["p-1"].answered_by, loaded["p-1"].person_language,
            loaded["p-1"].drafts_shown) == ("person", "km", True)


def test_delete_my_data_drops_the_persons_language_and_keeps_who_answered(
    app_env: str, data: ScreeningData, planner: AdaptivePlanner
) -> None:
    record = replace(_finished(data, planner, "no").record("7", "Police"),
                     answered_by="person", person_language="my", drafts_shown=True)
    save_record(record, None)
    case = in_session(service.create_case, NewCase(conversation_id="c-person",
                                                   priority="normal", source="request")).case
    in_session(store.set_case, record.id, case.id)
    assert in_session(store.erase_conversation, "c-person") == {"screenings_anonymised": 1}
    (erased,) = all_records()
    assert (erased.answered_by, erased.person_language, erased.drafts_shown) == \
        ("person", None, True)
    assert dict(erased.answers) == {} and erased.result.category == record.result.category


def test_migration_0013_upgrades_from_0012_with_a_record_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0012_practice_runs")
    assert not {"answered_by", "person_language", "drafts_shown"} & _columns(engine)
    with engine.begin() as conn:  # a screening asked by an officer before 0013
        conn.execute(text(
            "INSERT INTO screening_records (id, agency, created_at, questionnaire_version, "
            "context, answers, result, category, stopped_early) VALUES ('r-old', 'Police', "
            "'2026-12-01 00:00:00+00:00', '2026-11-1', '{}', '{}', '{}', 'no_indicators', "
            "false)"))
    engine.dispose()

    upgrade(database_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT answered_by, person_language, drafts_shown "
                                "FROM screening_records WHERE id = 'r-old'")).one()
        assert (row[0], row[1], bool(row[2])) == ("officer", None, False)
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                load_all().metadata)
    assert [d for d in diff if "screening_records" in repr(d)] == [], diff
    engine.dispose()

    command.downgrade(config, "0012_practice_runs")
    assert not {"answered_by", "person_language", "drafts_shown"} & _columns(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM screening_records")).scalar_one() == "r-old"
    engine.dispose()
    upgrade(database_url)
    assert {"answered_by", "person_language", "drafts_shown"} <= _columns(engine)
    engine.dispose()


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("screening_records")}


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
