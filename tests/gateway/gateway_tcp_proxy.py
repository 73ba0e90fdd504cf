"""A loopback TCP proxy the tests switch between forwarding, down (connection refused) and
holding (accepts, never answers): a real network failure between the gateway and Rasa."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

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
        self._listen()
        return self

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def set_mode(self, mode: str) -> None:
        if mode == DOWN and self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the blocked accept(); close alone doesn't
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        elif mode != DOWN and self._listener is None:
            self._listen()
        self.mode = mode

    def close(self) -> None:
        self._stop = True
        self.set_mode(DOWN)

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        held = False
        while self.mode == HOLD and not self._stop:
            held = True
            time.sleep(0.05)
        if held or self.mode != FORWARD:  # held requests are dropped, never forwarded late
            client.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(src, dst), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
