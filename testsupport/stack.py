"""Start real Rasa and action-server processes on free loopback ports (tests, benchmarks)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from saphan.processes import action_server_spec, gateway_spec, rasa_spec
from saphan.settings import Settings
from saphan.supervisor import Supervisor

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port free now and never handed out before in this process: the OS may give
    the same ephemeral port to consecutive binds, and two servers of one stack must differ."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def stack_settings(database_url: str, work_dir: Path, **overrides: object) -> Settings:
    """Settings for a throwaway stack: free ports, its own tracker store, the given app DB."""
    values: dict[str, object] = {
        "database_url": database_url,
        "tracker_store_url": f"sqlite:///{work_dir / 'tracker.db'}",
        "rasa_url": f"http://127.0.0.1:{free_port()}",
        "action_server_url": f"http://127.0.0.1:{free_port()}",
        "gateway_port": free_port(),
        "redis_url": "",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Stack:
    settings: Settings
    supervisor: Supervisor

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    @property
    def action_server_url(self) -> str:
        return self.settings.action_server_url

    @property
    def gateway_url(self) -> str:
        return self.settings.gateway_url

    @property
    def rasa_auth(self) -> dict[str, str]:
        """Query parameters for Rasa's HTTP API (it runs with `--auth-token`)."""
        return {"token": self.settings.rasa_auth_token.get_secret_value()}


@contextmanager
def running_stack(
    settings: Settings, model: Path, with_gateway: bool = False, log: Path | None = None
) -> Iterator[Stack]:
    """Run action server + Rasa (+ gateway) until the block ends; output goes to `log`."""
    specs = [action_server_spec(settings), rasa_spec(settings, model)]
    if with_gateway:
        specs.append(gateway_spec(settings))
    out = open(log, "a", encoding="utf-8") if log else open("/dev/null", "w")  # noqa: SIM115
    sup = Supervisor(specs, out=out)
    try:
        sup.start()
        sup.wait_healthy(timeout=240)
        yield Stack(settings, sup)
    finally:
        sup.stop()
        out.close()
