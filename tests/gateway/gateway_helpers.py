"""Shared by the gateway tests: test channels and the gateway as a real subprocess."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from saphan.processes import gateway_spec
from saphan.settings import Settings
from saphan.supervisor import Supervisor
from testsupport.channels import CHANNELS, SECRETS

__all__ = ["CHANNELS", "SECRET", "gateway_process"]
SECRET = SECRETS


@contextmanager
def gateway_process(settings: Settings, log: Path) -> Iterator[Supervisor]:
    """The real gateway (uvicorn subprocess); ready when it serves /openapi.json."""
    spec = dataclasses.replace(gateway_spec(settings),
                               health_url=f"{settings.gateway_url}/openapi.json")
    with open(log, "a", encoding="utf-8") as out:
        sup = Supervisor([spec], out=out)
        try:
            sup.start()
            sup.wait_healthy(timeout=60)
            yield sup
        finally:
            sup.stop()
