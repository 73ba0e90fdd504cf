"""Serve an ASGI app with uvicorn in a thread on a loopback port (tests, fakes, benchmarks)."""

from __future__ import annotations

import threading
import time
from typing import Any, Self

import uvicorn

from testsupport.stack import free_port


class ServedApp:
    """An ASGI app on a free loopback port, served by uvicorn in a thread (context manager)."""

    def __init__(self, app: Any, lifespan: str = "on", port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan=lifespan, timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise TimeoutError(f"{type(self).__name__} did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
