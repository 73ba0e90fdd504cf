"""Run a Python snippet in the Rasa venv (tests of Rasa components from the app venv)."""

from __future__ import annotations

import subprocess

from saphan.rasa_model import rasa_env, rasa_executable


def run_in_rasa_python(code: str, timeout_s: float = 240) -> str:
    """Run `code` with the Rasa venv's interpreter (bot/ and the repo importable); returns
    its stdout, or fails the calling test with the end of its stderr."""
    python = rasa_executable().with_name("python")
    result = subprocess.run([str(python), "-c", code], env=rasa_env(), capture_output=True,
                            text=True, timeout=timeout_s, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
