"""`saphan agency ...` and `saphan caseworker add --agency --role` on real databases: bad input
is a message and exit 1 with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agencies import store
from agencies.vocab import DEFAULT_AGENCY_CODE
from cases.accounts import by_username
from cli.main import app
from saphan.db import in_session, reset_caches

ENV = {"SAPHAN_NEW_PASSWORD": "a long enough password"}


def _codes() -> set[str]:
    return {a.code for a in in_session(store.all_agencies, False)}


def test_agency_add_show_list_deactivate(app_env: str) -> None:
    runner = CliRunner()
    added = runner.invoke(app, ["agency", "add", "tak-cli", "--name-th", "ทดสอบ",
                                "--name-en", "CLI test", "--kind", "shelter",
                                "--provinces", "ตาก, Chiang Mai", "--contact", "desk"])
    assert added.exit_code == 0, added.output
    shown = runner.invoke(app, ["agency", "show", "tak-cli"])
    assert shown.exit_code == 0 and "Tak, Chiang Mai" in shown.output, shown.output
    bad = runner.invoke(app, ["agency", "add", "tak-bad", "--name-th", "x", "--name-en", "x",
                              "--kind", "army"])
    assert bad.exit_code == 1 and "kind 'army'" in bad.output
    bad = runner.invoke(app, ["agency", "add", "tak-bad", "--name-th", "x", "--name-en", "x",
                              "--kind", "ngo", "--provinces", "Gotham"])
    assert bad.exit_code == 1 and "provinces: 'Gotham'" in bad.output
    assert "tak-bad" not in _codes()
    assert runner.invoke(app, ["agency", "deactivate", "tak-cli"]).exit_code == 0
    listed = runner.invoke(app, ["agency", "list"])
    assert "tak-cli" not in listed.output and DEFAULT_AGENCY_CODE in listed.output
    assert "tak-cli" in runner.invoke(app, ["agency", "list", "--all"]).output
    missing = runner.invoke(app, ["agency", "deactivate", "nowhere"])
    assert missing.exit_code == 1 and "no agency 'nowhere'" in missing.output


def test_agency_import_is_all_or_nothing(app_env: str, tmp_path: Path) -> None:
    path = tmp_path / "agencies.yml"
    good = {"code": "a-one", "name_th": "หนึ่ง", "name_en": "One", "kind": "ngo",
            "provinces": ["national"]}
    path.write_text(yaml.safe_dump({"agencies": [good, {**good, "code": "a-two",
                                                        "kind": "nope"}]}), "utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["agency", "import", str(path)])
    assert refused.exit_code == 1 and "agencies.yml: agency 2 (a-two): kind" in refused.output
    assert "a-one" not in _codes()
    path.write_text(yaml.safe_dump({"agencies": [good]}), "utf-8")
    done = runner.invoke(app, ["agency", "import", str(path)])
    assert done.exit_code == 0 and "1 created" in done.output, done.output
    assert in_session(lambda s: store.by_code(s, "a-one").national) is True


def test_load_examples_outside_production_only(app_env: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["agency", "load-examples"])
    assert loaded.exit_code == 0 and "created" in loaded.output, loaded.output
    assert "EXAMPLE" in runner.invoke(app, ["agency", "list"]).output
    monkeypatch.setattr("agencies.cli.get_settings",
                        lambda: type("S", (), {"production": True})())
    refused = runner.invoke(app, ["agency", "load-examples"])
    assert refused.exit_code == 1 and "never loaded in production" in refused.output


def test_caseworker_add_with_agency_and_role(app_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["agency", "load-examples"]).exit_code == 0
    done = runner.invoke(app, ["caseworker", "add", "somsri", "--agency", "tak-msdhs",
                               "--role", "agency_admin"], env=ENV)
    assert done.exit_code == 0 and "agency tak-msdhs" in done.output, done.output
    worker = in_session(by_username, "somsri")
    assert worker.role == "agency_admin"
    assert worker.agency_id == in_session(lambda s: store.by_code(s, "tak-msdhs").id)
    plain = runner.invoke(app, ["caseworker", "add", "nok"], env=ENV)
    assert plain.exit_code == 0 and "agency default" in plain.output
    unknown = runner.invoke(app, ["caseworker", "add", "lek", "--agency", "nowhere"], env=ENV)
    assert unknown.exit_code == 1 and "no agency 'nowhere'" in unknown.output
    listed = runner.invoke(app, ["caseworker", "list", "--agency", "tak-msdhs"])
    assert [line.split()[:3] for line in listed.output.splitlines()[1:]] == [
        ["somsri", "agency_admin", "tak-msdhs"]]
    role = runner.invoke(app, ["caseworker", "role", "nok", "supervisor"])
    assert role.exit_code == 0 and in_session(by_username, "nok").role == "supervisor"
    bad = runner.invoke(app, ["caseworker", "role", "nok", "admin"])
    assert bad.exit_code == 1 and "role must be one of" in bad.output
    reset_caches()


def test_directory_stale_lists_unverified_services_per_keeping_agency(app_env: str) -> None:
    """`saphan directory stale`: the bundled directory's entries verified long ago (or never),
    grouped under the agency that keeps them (an agency listing the service)."""
    from referral_directory.bundled import load_bundled

    in_session(load_bundled)
    runner = CliRunner()
    kept = "children-family-shelters"
    added = runner.invoke(app, ["agency", "add", "keeper", "--name-th", "ผู้ดูแล",
                                "--name-en", "Keeper", "--kind", "shelter",
                                "--provinces", "national", "--services", kept])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["directory", "stale", "--days", "1"])
    assert listed.exit_code == 0, listed.output
    assert "services not verified for 1 days" in listed.output
    keeper_block = listed.output.split("keeper:")[1].split("\n\n")[0]
    assert kept in keeper_block
