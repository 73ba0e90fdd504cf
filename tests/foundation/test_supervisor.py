"""The supervisor waits for health, restarts a crashed child and keeps the others running."""

from __future__ import annotations

import io
import sys
import threading
import time

import pytest

from saphan.processes import ProcessSpec
from saphan.supervisor import ChildExited, Supervisor, is_healthy
from testsupport.polling import wait_for
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


def test_crashed_child_is_restarted_and_the_others_keep_running() -> None:
    """After start-up a crash is not the end of the group: the crashed child comes back (with
    backoff) and the steady one is never touched (issue 21: one crashed part stopped all)."""
    out = io.StringIO()
    flaky_port = free_port()
    sup = Supervisor([http_child("steady", free_port()),
                      http_child("flaky", flaky_port, exit_after=1.0)], out=out)
    watcher = threading.Thread(target=sup.watch, daemon=True)
    try:
        sup.start()
        sup.wait_healthy(timeout=20)
        steady_pid = sup.procs["steady"].pid
        watcher.start()
        wait_for(lambda: sup.restarts["flaky"] >= 2, 20, out.getvalue)
        assert sup.procs["steady"].poll() is None and sup.procs["steady"].pid == steady_pid
        assert "flaky exited with code 3; restarting" in out.getvalue()
        wait_for(lambda: is_healthy(f"http://127.0.0.1:{flaky_port}/health"), 10)
    finally:
        sup.stop()
        watcher.join(5)
    assert not watcher.is_alive()
    assert all(p.poll() is not None for p in sup.procs.values())


def test_a_child_that_dies_while_starting_stops_the_start() -> None:
    """A child that exits before the group is healthy is a start-up error, not a restart loop."""
    spec = ProcessSpec("broken", [sys.executable, "-c", "import sys; sys.exit(2)"], {},
                       f"http://127.0.0.1:{free_port()}/health")
    sup = Supervisor([spec], out=io.StringIO())
    try:
        sup.start()
        with pytest.raises(ChildExited, match="broken exited with code 2"):
            sup.wait_healthy(timeout=20)
    finally:
        sup.stop()


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
