"""A loopback TCP load balancer for the replica run: each new connection goes to the next
backend in turn; a backend that refuses the connection (killed, restarting) is skipped, so
clients only see a dropped connection when the replica they were on dies."""

from __future__ import annotations

import socket
import threading
from collections import Counter

from testsupport import tcp
from testsupport.stack import free_port


class RoundRobin:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.port = free_port()
        self.connections: Counter[int] = Counter()  # backend port -> connections made
        self._next = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RoundRobin:
        self._listener = tcp.listen(self.port, self._serve)
        return self

    def __exit__(self, *exc: object) -> None:
        tcp.close(self._listener)

    def _connect(self) -> socket.socket | None:
        with self._lock:
            start, self._next = self._next, (self._next + 1) % len(self.backends)
        for i in range(len(self.backends)):
            backend = self.backends[(start + i) % len(self.backends)]
            server = tcp.connect(backend, timeout=2)
            if server is None:
                continue
            with self._lock:
                self.connections[backend[1]] += 1
            return server
        return None

    def _serve(self, client: socket.socket) -> None:
        server = self._connect()
        if server is None:
            client.close()
            return
        tcp.splice(client, server)
