"""The supervisor waits for health, reports a crashed child and stops the whole group."""

from __future__ import annotations

import io
import sys
import time

import pytest

from saphan.processes import ProcessSpec
from saphan.supervisor import ChildExited, Supervisor
from testsupport.stack import free_port


def http_child(name: str, port: int, exit_after: float | None = None) -> ProcessSpec:
    """A tiny HTTP server child that answers 200 on /health (and optionally dies)."""
    code = (
        "import http.server, threading, os, sys, time\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
        "    def log_message(self, *a): pass\n"
        f"srv = http.server.HTTPServer(('127.0.0.1', {port}), H)\n"
        "threading.Thread(target=srv.serve_forever, daemon=True).start()\n"
        "print('ready', flush=True)\n"
        f"exit_after = {exit_after!r}\n"
        "if exit_after: time.sleep(exit_after); os._exit(3)\n"
        "while True: time.sleep(1)\n"
    )
    return ProcessSpec(name, [sys.executable, "-c", code], {}, f"http://127.0.0.1:{port}/health")


def test_waits_for_health_and_prefixes_output() -> None:
    out = io.StringIO()
    sup = Supervisor([http_child("one", free_port()), http_child("two", free_port())], out=out)
    try:
        sup.start()
        sup.wait_healthy(timeout=20)
        time.sleep(0.3)
    finally:
        sup.stop()
    log = out.getvalue()
    assert "[one] ready" in log and "[two] ready" in log
    assert "one healthy" in log and "two healthy" in log
    assert all(p.poll() is not None for p in sup.procs.values())


def test_crashed_child_is_reported_and_group_can_be_stopped() -> None:
    sup = Supervisor(
        [http_child("steady", free_port()), http_child("flaky", free_port(), exit_after=1.0)],
        out=io.StringIO(),
    )
    try:
        sup.start()
        sup.wait_healthy(timeout=20)
        with pytest.raises(ChildExited, match="flaky exited with code 3"):
            sup.watch()
    finally:
        sup.stop()
    assert sup.procs["steady"].poll() is not None


def test_unhealthy_child_times_out() -> None:
    spec = ProcessSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], {},
                       f"http://127.0.0.1:{free_port()}/health")
    sup = Supervisor([spec], out=io.StringIO())
    try:
        sup.start()
        with pytest.raises(TimeoutError, match="sleeper"):
            sup.wait_healthy(timeout=1.5)
    finally:
        sup.stop()
