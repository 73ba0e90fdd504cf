"""Run Saphan's processes as one supervised group (the local `make run`).

Children's output is prefixed with their name; Ctrl-C stops all of them. While the group
starts, a child that exits is an error (a misconfiguration should stop `make run`, not loop).
Once all were healthy, a child that exits is restarted with backoff while the others keep
running: the gateway keeps accepting webhooks and answering with the fallback while Rasa or
the action server is down, and the real answer follows when it is back.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO

import httpx

from saphan.processes import ProcessSpec

#: Restart delays after a crash: 0.5 s, doubling up to `MAX_BACKOFF_S`; a child that then
#: stays up for `STABLE_AFTER_S` gets the short delay again next time.
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0


class ChildExited(RuntimeError):
    """A supervised process stopped although nobody asked it to."""


def _pump(name: str, stream: IO[bytes], out: IO[str]) -> None:
    for raw in iter(stream.readline, b""):
        out.write(f"[{name}] {raw.decode('utf-8', 'replace').rstrip()}\n")
        out.flush()


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


class Supervisor:
    """Start, watch and stop a group of child processes."""

    def __init__(self, specs: Sequence[ProcessSpec], out: IO[str] = sys.stdout) -> None:
        self.specs = list(specs)
        self.out = out
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = {spec.name: 0 for spec in self.specs}
        self._started_at: dict[str, float] = {}
        self._backoff: dict[str, float] = {spec.name: FIRST_BACKOFF_S for spec in self.specs}
        self._stopping = False

    def log(self, message: str) -> None:
        self.out.write(f"[saphan] {message}\n")
        self.out.flush()

    def start(self) -> None:
        for spec in self.specs:
            self._spawn(spec)

    def _spawn(self, spec: ProcessSpec) -> None:
        proc = subprocess.Popen(
            spec.argv, cwd=spec.cwd, env=spec.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.procs[spec.name] = proc
        self._started_at[spec.name] = time.monotonic()
        assert proc.stdout is not None
        pump = threading.Thread(target=_pump, args=(spec.name, proc.stdout, self.out), daemon=True)
        pump.start()
        self.log(f"started {spec.name} (pid {proc.pid})")

    def check_alive(self) -> None:
        """Raise `ChildExited` if any child has stopped."""
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is not None and not self._stopping:
                raise ChildExited(f"{name} exited with code {code}")

    def wait_healthy(self, timeout: float = 300.0) -> float:
        """Block until every child answers its health URL; return the seconds it took."""
        start = time.monotonic()
        pending = {spec.name: spec.health_url for spec in self.specs}
        while pending:
            self.check_alive()
            for name, url in list(pending.items()):
                if is_healthy(url):
                    self.log(f"{name} healthy after {time.monotonic() - start:.0f}s")
                    del pending[name]
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
            time.sleep(0.5)
        return time.monotonic() - start

    def watch(self, poll_s: float = 0.2) -> None:
        """Block until the group is stopped, restarting a child that exits (with backoff;
        the others keep running)."""
        due: dict[str, float] = {}  # child name -> when to start it again
        while not self._stopping:
            now = time.monotonic()
            for spec in self.specs:
                name = spec.name
                if name in due:
                    if now >= due[name] and not self._stopping:
                        del due[name]
                        self.restarts[name] += 1
                        self._spawn(spec)
                    continue
                code = self.procs[name].poll()
                if code is None:
                    if now - self._started_at[name] > STABLE_AFTER_S:
                        self._backoff[name] = FIRST_BACKOFF_S
                    continue
                delay = self._backoff[name]
                self._backoff[name] = min(delay * 2, MAX_BACKOFF_S)
                self.log(f"{name} exited with code {code}; restarting in {delay:.1f}s "
                         f"(the others keep running)")
                due[name] = now + delay
            time.sleep(poll_s)

    def stop(self, grace: float = 10.0) -> None:
        self._stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, proc in self.procs.items():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"{name} did not stop in {grace:.0f}s; killing it")
                proc.kill()
                proc.wait()
