"""Keeping the directory current (issue 20 pt 6) in the domain: edits record exactly the
changed fields, verification is set only by `verify`, retired services are kept but hidden,
samples are never changed in production, the bundled loader leaves entries agencies keep
alone, and staleness (the setting, default 180 days) drives the list, the cards and
`saphan directory stale`. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from agencies import store as agencies
from cli.main import app
from referral_directory import history, upkeep
from referral_directory.bundled import load_bundled
from referral_directory.cards import needs_confirming
from referral_directory.models import Service
from referral_directory.records import RecordInvalid, from_flat
from referral_directory.search import ServiceQuery, search_services
from referral_directory.staleness import STALE_DAYS, is_stale, stale_days, stale_services
from referral_directory.store import by_external_id, to_record
from saphan.db import reset_caches, session_scope

from .conftest import record
from .test_samples import set_environment

TODAY = date(2026, 12, 7)


def _stored(session: Session, **fields: object):  # type: ignore[no-untyped-def]
    service = upkeep.add(session, record(**{"sample": False, **fields}), "alice")
    session.flush()
    return service


def test_edit_records_only_changed_fields_and_keeps_verification(session: Session) -> None:
    service = _stored(session, last_verified="2026-01-02", phones=["+6655000001"])
    created = history.changes_of(session, service.id)
    assert [c.action for c in created] == ["created"]
    assert {"field": "name_en", "old": "", "new": "Test shelter"} in created[0].changes
    new = record(sample=False, name_en="Renamed", phones=["+6655000001", "1300"],
                 last_verified="2020-01-01")  # an edit never sets the verification
    changes = upkeep.edit(session, service, new, "bob")
    assert changes == [{"field": "name_en", "old": "Test shelter", "new": "Renamed"},
                       {"field": "phones", "old": "+6655000001", "new": "+6655000001; 1300"}]
    assert service.name_en == "Renamed" and service.last_verified == date(2026, 1, 2)
    assert upkeep.edit(session, service, to_record(service), "bob") == []  # nothing to record
    with pytest.raises(upkeep.UpkeepError, match=r"^id: "):
        upkeep.edit(session, service, record(id="other", sample=False), "bob")
    latest = history.changes_of(session, service.id)[0]
    assert (latest.username, latest.action) == ("bob", "edited")
    assert len(history.changes_of(session, service.id)) == 2


def test_the_form_validation_is_the_import_validation() -> None:
    with pytest.raises(RecordInvalid) as caught:
        from_flat({"id": "x", "type": "shelter", "name_en": "A", "province": "Atlantis",
                   "source": "s", "confidence": "sure", "sample": "false"})
    assert {field for field, _ in caught.value.problems} == {"province", "confidence"}
    parsed = from_flat({"id": "x", "type": "shelter", "name_en": "A", "province": "ตาก",
                        "languages": "th; my", "source": "s", "confidence": "high",
                        "sample": "false", "national": "false"})
    assert parsed.province == "Tak" and parsed.languages == ["th", "my"]


def test_verify_retire_restore(session: Session) -> None:
    service = _stored(session)
    upkeep.verify(session, service, "carol", "phoned", day=TODAY)
    assert (service.last_verified, service.verified_by) == (TODAY, "carol")
    query = ServiceQuery(province="Tak", samples=False)
    assert [s.external_id for s in search_services(session, query).services] == ["svc-1"]
    upkeep.retire(session, service, "carol", "closed", day=TODAY)
    assert search_services(session, query).services == []
    assert by_external_id(session, "svc-1") is not None  # kept
    with pytest.raises(upkeep.UpkeepError, match="retired already"):
        upkeep.retire(session, service, "carol")
    upkeep.restore(session, service, "carol")
    assert [s.external_id for s in search_services(session, query).services] == ["svc-1"]
    assert [c.action for c in history.changes_of(session, service.id)] == [
        "restored", "retired", "verified", "created"]
    verified = history.changes_of(session, service.id)[2]
    assert verified.note == "phoned" and {"field": "verified_by", "old": "",
                                          "new": "carol"} in verified.changes


def test_samples_are_never_changed_in_production(app_env: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    set_environment(monkeypatch, "development")
    with session_scope() as session:
        upkeep.add(session, record(id="a-sample", sample=True), "alice")
    set_environment(monkeypatch, "production")
    with session_scope() as session:
        sample = by_external_id(session, "a-sample")
        for change in (lambda: upkeep.edit(session, sample, record(id="a-sample", sample=False),
                                           "bob"),
                       lambda: upkeep.verify(session, sample, "bob"),
                       lambda: upkeep.retire(session, sample, "bob")):
            with pytest.raises(upkeep.UpkeepError, match=r"^sample: "):
                change()
        with pytest.raises(upkeep.UpkeepError, match="not allowed in production"):
            upkeep.add(session, record(id="another-sample", sample=True), "bob")
        assert history.changes_of(session, sample.id)[0].action == "created"
    reset_caches()


def test_bundled_loader_leaves_entries_agencies_keep(session: Session) -> None:
    load_bundled(session, include_samples=False)
    service = by_external_id(session, "msdhs-provincial-offices")
    assert service is not None
    kept_name = "Provincial office (as the agency keeps it)"
    upkeep.edit(session, service, to_record(service).model_copy(update={"name_en": kept_name}),
                "msdhs_admin")
    other = by_external_id(session, "iom-thailand")
    assert other is not None
    original = other.name_en
    # an entry nobody kept in the dashboard drifts and is restored by the loader
    session.execute(update(Service).where(Service.id == other.id).values(name_en="drifted"))
    load_bundled(session, include_samples=False)
    session.expire_all()
    assert by_external_id(session, "msdhs-provincial-offices").name_en == kept_name
    assert by_external_id(session, "iom-thailand").name_en == original


def test_staleness_follows_the_setting(app_env: str, engine: Engine,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert stale_days() == STALE_DAYS == 180
    old = TODAY - timedelta(days=100)
    assert not is_stale(old, TODAY) and is_stale(None, TODAY)
    with Session(engine) as session:
        service = _stored(session, last_verified=old.isoformat(), confidence="high")
        assert not needs_confirming(service, TODAY)
        assert stale_services(session, TODAY) == []
        session.commit()
    monkeypatch.setenv("SAPHAN_DIRECTORY_STALE_DAYS", "90")
    reset_caches()
    assert stale_days() == 90 and is_stale(old, TODAY)
    with Session(engine) as session:
        service = by_external_id(session, "svc-1")
        assert needs_confirming(service, TODAY)  # the card says "call to confirm"
        assert [s.external_id for s in stale_services(session, TODAY)] == ["svc-1"]
        assert stale_services(session, TODAY, days=180) == []


def test_stale_command_lists_per_agency(app_env: str) -> None:
    with session_scope() as session:
        for external_id, verified in (("kept-old", "2020-01-01"), ("kept-new", None),
                                      ("orphan", "2019-05-05"),
                                      ("fresh", date.today().isoformat())):
            upkeep.add(session, record(id=external_id, sample=False, last_verified=verified),
                       "alice")
        session.flush()
        agencies.add(session, agencies.AgencyIn(
            code="nan-keeper", name_th="ผู้ดูแล", name_en="Keeper", kind="ngo",
            provinces=("Nan",), directory_services=("kept-old", "kept-new", "fresh")))
    result = CliRunner().invoke(app, ["directory", "stale"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3 services not verified for 180 days"
    assert lines[lines.index("nan-keeper: 2") + 1].split("\t")[:2] == ["  kept-new", "never"]
    assert "  kept-old\t2020-01-01\tTest shelter" in lines
    assert "(no agency): 1" in lines and "fresh" not in result.output
    result = CliRunner().invoke(app, ["directory", "stale", "--days", "0"])
    assert result.exit_code != 0  # at least one day


def test_the_dashboard_never_offers_a_sample_for_change_in_production(
        app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from cases.accounts import add_caseworker
    from dashboard.auth import Login
    from dashboard.directory import may_change

    set_environment(monkeypatch, "development")
    with session_scope() as session:
        upkeep.add(session, record(id="a-sample", sample=True), "alice")
        upkeep.add(session, record(id="a-real-one", sample=False), "alice")
        root = add_caseworker(session, "root", "correct horse battery staple", "system_admin")
        login = Login(worker=root, csrf="x", language="en", token="t")
        assert may_change(session, login, by_external_id(session, "a-sample"))
    set_environment(monkeypatch, "production")
    with session_scope() as session:
        session.add(root)
        assert not may_change(session, login, by_external_id(session, "a-sample"))
        assert may_change(session, login, by_external_id(session, "a-real-one"))
    reset_caches()
