"""Train the Rasa model only when its inputs change (content hash of data, config and code)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from saphan.paths import BOT_DIR, MODELS_DIR, NLU_DATA_DIR, RASA_VENV, ROOT

#: Everything that changes what `rasa train` produces.
TRAINING_INPUTS: tuple[Path, ...] = (
    BOT_DIR / "config.yml",
    BOT_DIR / "domain",
    BOT_DIR / "data",
    BOT_DIR / "saphan_nlu",
    NLU_DATA_DIR / "train",
    ROOT / "requirements" / "rasa.lock",
)
TRAINING_DATA: tuple[Path, ...] = (NLU_DATA_DIR / "train", BOT_DIR / "data")


class ModelTrainingError(RuntimeError):
    """`rasa train` failed; its own output (above) says why."""


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
    return sorted(found)


def content_hash(paths: Iterable[Path] = TRAINING_INPUTS, config: Path | None = None) -> str:
    """A short hash over the names and bytes of all training inputs."""
    digest = hashlib.sha256()
    inputs = list(paths) + ([config] if config else [])
    for file in _files(inputs):
        name = file.relative_to(ROOT) if file.is_relative_to(ROOT) else file.name
        digest.update(str(name).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def rasa_executable() -> Path:
    return RASA_VENV / "bin" / "rasa"


def rasa_env() -> dict[str, str]:
    """Environment for Rasa processes: custom components importable, quiet TensorFlow."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(BOT_DIR), str(ROOT)])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    return env


def model_path(name: str = "saphan", config: Path | None = None) -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    cfg = config or BOT_DIR / "config.yml"
    return MODELS_DIR / f"{name}-{content_hash(config=cfg)}.tar.gz"


def ensure_model(
    config: Path | None = None,
    data: Iterable[Path] = TRAINING_DATA,
    name: str = "saphan",
    out: Path = MODELS_DIR,
) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    cfg = config or BOT_DIR / "config.yml"
    target = out / f"{name}-{content_hash(config=cfg)}.tar.gz"
    if target.exists():
        return target
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(rasa_executable()), "train",
        "--config", str(cfg),
        "--domain", str(BOT_DIR / "domain"),
        "--data", *[str(p) for p in data],
        "--out", str(out),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    print(f"[model] training {target.name} (inputs changed) ...", file=sys.stderr, flush=True)
    start = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, env=rasa_env(), check=False)
    if result.returncode != 0:
        raise ModelTrainingError(f"rasa train failed with exit code {result.returncode}")
    print(f"[model] trained in {time.monotonic() - start:.0f}s", file=sys.stderr, flush=True)
    return target
