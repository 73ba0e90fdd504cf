"""`saphan directory validate|import|export` through the real CLI app."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

from .test_store import GOOD

runner = CliRunner()


def test_validate_import_export(app_env: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(app, ["directory", "validate", str(good)])
    assert result.exit_code == 0 and "3 valid entries (1 marked sample)" in result.output
    result = runner.invoke(app, ["directory", "import", str(good)])
    assert result.exit_code == 0 and "3 created, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(app, ["directory", "import", str(good)])
    assert "0 created, 0 updated, 3 unchanged" in result.output
    out = tmp_path / "out.csv"
    assert runner.invoke(app, ["directory", "export", "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["directory", "import", str(out)])
    assert "0 created, 0 updated, 3 unchanged" in result.output


def test_bad_file_exits_1_naming_row_and_field(app_env: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD.replace(",Tak,", ",Atlantis,"), encoding="utf-8")
    for command in ("validate", "import"):
        result = runner.invoke(app, ["directory", command, str(bad)])
        assert result.exit_code == 1
        assert "row 2, field province" in result.output
    out = tmp_path / "out.csv"
    runner.invoke(app, ["directory", "export", "-o", str(out)])
    assert out.read_text(encoding="utf-8").count("\n") == 1  # header only: nothing imported


def test_load_bundled_command(app_env: str) -> None:
    result = runner.invoke(app, ["directory", "load-bundled"])
    assert result.exit_code == 0 and "created" in result.output
