"""The one loopback TCP plumbing (`testsupport.tcp`) behind the replica balancer, the database
cut and the gateway tests' Rasa proxy: bytes go both ways, one side ending ends the other,
a forwarded connection is not cut for being idle, and the cut drops open connections, refuses
new ones and forwards again when up. Real sockets on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from reliability.tcp_cut import TcpCut
from testsupport import tcp
from testsupport.stack import free_port


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(1024):
            conn.sendall(data.upper())


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    """An upper-casing echo server."""
    port = free_port()
    listener = tcp.listen(port, _echo)
    yield ("127.0.0.1", port)
    tcp.close(listener)


def _ask(port: int, text: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(text)
        return conn.recv(1024)


def test_a_spliced_pair_forwards_both_ways_and_ends_together(echo: tuple[str, int]) -> None:
    port = free_port()
    listener = tcp.listen(port, lambda client: tcp.splice(client, tcp.connect(echo, 5)))
    try:
        assert _ask(port, b"hello") == b"HELLO"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"one")
            assert conn.recv(1024) == b"ONE"
            conn.shutdown(socket.SHUT_WR)  # the client ends: the pipe closes its side too
            assert conn.recv(1024) == b""
    finally:
        tcp.close(listener)
    with pytest.raises(OSError):  # closed: refused
        _ask(port, b"x")


def test_close_wakes_a_thread_blocked_in_recv() -> None:
    a, b = socket.socketpair()
    done = threading.Event()
    reader = threading.Thread(target=lambda: (tcp.pipe(a, b), done.set()), daemon=True)
    reader.start()
    tcp.close(a)
    assert done.wait(5) and b.fileno() == -1  # the pipe ended and closed the other end


def test_connect_gives_a_blocking_socket_or_none(echo: tuple[str, int]) -> None:
    sock = tcp.connect(echo, timeout=0.5)
    assert sock is not None and sock.gettimeout() is None  # idle never times out
    sock.close()
    assert tcp.connect(("127.0.0.1", free_port()), timeout=0.5) is None


def test_the_cut_drops_refuses_and_comes_back(echo: tuple[str, int]) -> None:
    cut = TcpCut(echo).up()
    try:
        conn = socket.create_connection(("127.0.0.1", cut.port), timeout=5)
        conn.sendall(b"before")
        assert conn.recv(1024) == b"BEFORE"
        cut.down()
        assert conn.recv(1024) == b""  # the open connection is dropped
        conn.close()
        with pytest.raises(OSError):
            _ask(cut.port, b"during")
        cut.up()
        assert _ask(cut.port, b"after") == b"AFTER"
    finally:
        cut.close()
