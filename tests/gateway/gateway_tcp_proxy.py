"""A loopback TCP proxy the tests switch between forwarding, down (connection refused) and
holding (accepts, never answers): a real network failure between the gateway and Rasa."""

from __future__ import annotations

import socket
import time

from testsupport import tcp

FORWARD, DOWN, HOLD = "forward", "down", "hold"


class TcpProxy:
    def __init__(self, upstream_port: int, port: int) -> None:
        self.upstream_port, self.port = upstream_port, port
        self.mode = FORWARD
        self._listener: socket.socket | None = None
        self._stop = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        self._listener = tcp.listen(self.port, self._handle)
        return self

    def set_mode(self, mode: str) -> None:
        if mode == DOWN and self._listener is not None:
            tcp.close(self._listener)
            self._listener = None
        elif mode != DOWN and self._listener is None:
            self._listener = tcp.listen(self.port, self._handle)
        self.mode = mode

    def close(self) -> None:
        self._stop = True
        self.set_mode(DOWN)

    def _handle(self, client: socket.socket) -> None:
        held = False
        while self.mode == HOLD and not self._stop:
            held = True
            time.sleep(0.05)
        if held or self.mode != FORWARD:  # held requests are dropped, never forwarded late
            client.close()
            return
        upstream = tcp.connect(("127.0.0.1", self.upstream_port), timeout=10)
        if upstream is None:
            client.close()
            return
        tcp.splice(client, upstream)
