"""Probes for the security tests: strong production secrets, huge bodies over a raw socket,
this process's resident memory, and starting a process to see whether it refuses."""

from __future__ import annotations

import os
import resource
import secrets
import select
import socket
import subprocess
import sys
import time

import httpx
from cryptography.fernet import Fernet

from saphan.paths import ROOT

MB = 1024 * 1024


def strong_secrets() -> dict[str, str]:
    """Production-grade values of every secret (as `SAPHAN_*` names without the prefix)."""
    return {"SESSION_KEY": secrets.token_hex(24), "PSEUDONYM_KEY": secrets.token_hex(24),
            "INTERNAL_API_TOKEN": secrets.token_hex(24), "RASA_AUTH_TOKEN": secrets.token_hex(24),
            "ACTION_SERVER_TOKEN": secrets.token_hex(24), "ADMIN_API_TOKEN": "",
            "SCREENING_NOTES_KEY": "",
            "ENCRYPTION_KEYS": Fernet.generate_key().decode()}


def rss_bytes() -> int:
    """This process's resident memory now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def send_huge(url: str, path: str, headers: dict[str, str], size: int = 30 * MB,
              chunked: bool = False) -> int:
    """POST `size` bytes to `path` (declared with Content-Length, or chunked without one),
    stopping as soon as the server answers; return the answer's HTTP status."""
    host, port = url.removeprefix("http://").split(":")
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    piece = b"a" * (64 * 1024)
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{head}{framing}\r\n\r\n".encode())
        sent = 0
        try:
            while sent < size and not select.select([sock], [], [], 0)[0]:
                data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                sock.sendall(data)
                sent += len(piece)
            if chunked and sent >= size:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def production_env(**values: str) -> dict[str, str]:
    """A child process environment: production, no inherited `SAPHAN_*`, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPHAN_")}
    env.update({"SAPHAN_ENVIRONMENT": "production", "PYTHONPATH": str(ROOT)})
    env.update({f"SAPHAN_{k}": v for k, v in values.items()})
    return env


def refused_start(argv: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """Run a process that must refuse to start; its error output (fails if it runs on)."""
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stderr


def serving(argv: list[str], env: dict[str, str], url: str, timeout: float = 60
            ) -> subprocess.Popen[str]:
    """Start a process and wait until `url` answers (any status); the caller stops it."""
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {process.stderr.read()}")  # type: ignore[union-attr]
        try:
            httpx.get(url, timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise TimeoutError(f"{url} did not answer")


PYTHON = sys.executable
