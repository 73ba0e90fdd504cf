"""`scripts/ensure_env.sh`: no rebuild when nothing changed; a clear error without Python 3.10."""

from __future__ import annotations

import os
import subprocess

import pytest

from saphan.paths import ROOT

SCRIPT = ROOT / "scripts" / "ensure_env.sh"


@pytest.mark.parametrize("kind, venv", [("app", ".venv"), ("rasa", ".venv-rasa")])
def test_rerun_with_nothing_changed_does_not_rebuild(kind: str, venv: str) -> None:
    stamp = ROOT / venv / ".saphan-stamp"
    if not stamp.exists():
        pytest.skip(f"{venv} not built by ensure_env.sh here")
    before = stamp.stat().st_mtime_ns
    result = subprocess.run([str(SCRIPT), kind], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "[setup]" not in result.stdout + result.stderr
    assert stamp.stat().st_mtime_ns == before


def test_missing_python310_fails_with_instructions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON310": str(tmp_path / "nope")}
    result = subprocess.run(
        [str(SCRIPT), "rasa"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode != 0
    assert "Python 3.10 not found" in result.stderr
    assert "PYTHON310" in result.stderr and "pyenv install 3.10" in result.stderr


def test_explicit_python310_variable_wins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PYTHON310 pointing at a real 3.10 is accepted (gets past interpreter discovery)."""
    real = (ROOT / ".venv-rasa" / "bin" / "python").resolve()
    if not real.exists():
        pytest.skip("no Python 3.10 here")
    env = dict(os.environ, PATH="/usr/bin:/bin", HOME=str(tmp_path),
               PYTHON310=str(real))
    result = subprocess.run([str(SCRIPT), "rasa"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
