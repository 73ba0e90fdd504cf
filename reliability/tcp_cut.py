"""A loopback TCP forwarder that can be cut: `down()` drops every open connection and
refuses new ones (a database outage as the clients see it), `up()` forwards again."""

from __future__ import annotations

import socket
import threading

from testsupport import tcp
from testsupport.stack import free_port


class TcpCut:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    def up(self) -> TcpCut:
        listener = tcp.listen(self.port, self._forward)
        with self._lock:
            self._listener = listener
        return self

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, set()
        tcp.close(listener, *sockets)

    def close(self) -> None:
        self.down()

    def _forward(self, client: socket.socket) -> None:
        server = tcp.connect(self.upstream, timeout=5)
        with self._lock:
            cut = self._listener is None  # down() came while connecting: nothing goes through
            if server is not None and not cut:
                self._open |= {client, server}
        if server is None or cut:
            tcp.close(client, server)
            return
        tcp.splice(client, server)
