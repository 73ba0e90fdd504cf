"""Loopback TCP plumbing for network faults, in one place: a listener that hands every
connection to a handler thread, the byte pipe between two sockets, and closing that wakes
blocked calls. Used by the replica run's balancer (`reliability.balancer`), the database cut
(`reliability.tcp_cut`) and the gateway tests' Rasa proxy (`tests/gateway/gateway_tcp_proxy.py`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

CHUNK = 65536


def listen(port: int, handle: Callable[[socket.socket], None]) -> socket.socket:
    """Listen on 127.0.0.1:`port` (address reuse on); every accepted connection goes to
    `handle` in its own thread until the listener is closed (`close`)."""
    listener = socket.create_server(("127.0.0.1", port))
    threading.Thread(target=_accept, args=(listener, handle), daemon=True).start()
    return listener


def _accept(listener: socket.socket, handle: Callable[[socket.socket], None]) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:  # closed
            return
        threading.Thread(target=handle, args=(client,), daemon=True).start()


def close(*sockets: socket.socket | None) -> None:
    """Shut down and close: a thread blocked in accept() or recv() on it wakes up (a close
    alone does not wake it)."""
    for sock in sockets:
        if sock is None:
            continue
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def pipe(src: socket.socket, dst: socket.socket) -> None:
    """Copy bytes from `src` to `dst` until either side ends or fails; then close both, which
    also ends the pipe of the other direction."""
    with contextlib.suppress(OSError):
        while data := src.recv(CHUNK):
            dst.sendall(data)
    close(src, dst)


def splice(a: socket.socket, b: socket.socket) -> None:
    """Forward both ways between `a` and `b` (one direction in a new thread, the other in
    this one) until either side ends."""
    threading.Thread(target=pipe, args=(b, a), daemon=True).start()
    pipe(a, b)


def connect(address: tuple[str, int], timeout: float) -> socket.socket | None:
    """A connection to `address` (None when refused or not made within `timeout`), blocking
    from then on: an idle forwarded connection is never cut by the connect timeout."""
    try:
        sock = socket.create_connection(address, timeout=timeout)
    except OSError:
        return None
    sock.settimeout(None)
    return sock
