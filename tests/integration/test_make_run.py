"""`saphan run` (what `make run` starts): all three services healthy, then a clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from saphan.paths import ROOT
from testsupport.stack import free_port

pytestmark = pytest.mark.integration


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_saphan_run_starts_everything_and_stops_on_ctrl_c(
    rasa_model: Path, tmp_path: Path
) -> None:
    ports = {name: free_port() for name in ("gateway", "rasa", "actions")}
    env = dict(
        os.environ,
        SAPHAN_DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
        SAPHAN_TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
        SAPHAN_GATEWAY_PORT=str(ports["gateway"]),
        SAPHAN_RASA_URL=f"http://127.0.0.1:{ports['rasa']}",
        SAPHAN_ACTION_SERVER_URL=f"http://127.0.0.1:{ports['actions']}",
    )
    log_path = tmp_path / "run.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "run"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT,
            # Ctrl-C must reach it even when the test runner was started in the background
            # by a shell without job control (SIGINT ignored there and inherited otherwise)
            preexec_fn=_default_sigint,
        )
    try:
        deadline = time.monotonic() + 240
        while "all services are healthy" not in log_path.read_text(encoding="utf-8"):
            assert proc.poll() is None, log_path.read_text(encoding="utf-8")[-3000:]
            assert time.monotonic() < deadline, "not healthy in 240 s"
            time.sleep(0.5)
        output = log_path.read_text(encoding="utf-8")
        assert rasa_model.name in output, "saphan run retrained although the inputs are unchanged"
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        assert f"{gateway}/simulator" in output

        health = httpx.get(f"{gateway}/healthz", timeout=10)
        assert health.status_code == 200
        assert {c["status"] for c in health.json()["checks"].values()} == {"up"}
        reply = httpx.post(
            f"http://127.0.0.1:{ports['rasa']}/webhooks/rest/webhook",
            json={"sender": uuid.uuid4().hex, "message": "hello"}, timeout=30,
        )
        assert reply.status_code == 200 and reply.json()

        children = [int(pid) for pid in re.findall(r"started \w+ \(pid (\d+)\)", output)]
        assert len(children) == 3
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        for pid in children:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if proc.poll() is None:
            proc.kill()
