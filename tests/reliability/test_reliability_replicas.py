"""Several gateway replicas under load, bounded (issue 21): two real gateway processes on one
PostgreSQL behind the loopback balancer of `make reliability-replicas`, a fake Rasa; one
gateway is SIGKILLed under load and the real supervisor restarts it: nothing accepted is lost,
nothing is sent twice, both replicas served. (The full run with two real Rasa and a Redis lock
store is `make reliability-replicas`, minutes long: benchmarks/reliability.md.)"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reliability.balancer import RoundRobin
from reliability.live_stack import CHANNEL, Arrivals, LiveStack
from reliability.replicas import DUPLICATES, LOST, under_fault
from saphan.processes import gateway_spec
from saphan.supervisor import Supervisor
from testsupport.cases import FakeRasaState, fake_rasa_app
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine
from testsupport.served import ServedApp
from testsupport.stack import Stack, free_port, stack_settings

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def test_the_balancer_skips_a_backend_that_is_down() -> None:
    with ServedApp(fake_rasa_app(FakeRasaState()), lifespan="off") as up:
        down = free_port()  # nothing listens here
        with RoundRobin([("127.0.0.1", down), ("127.0.0.1", up.port)]) as balancer:
            for _ in range(4):  # a new connection each time: every one reaches the live one
                with httpx.Client(base_url=balancer.url, timeout=5) as client:
                    answer = client.post("/webhooks/rest/webhook",
                                         json={"sender": "u", "message": "hi"})
                    assert answer.json()[0]["text"] == "bot: hi"
        assert dict(balancer.connections) == {up.port: 4}


@pytest.fixture
def two_gateways(tmp_path: Path) -> Iterator[tuple[LiveStack, RoundRobin]]:
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    with migrated_database("postgresql", tmp_path, POSTGRES_URL) as url, FakeLine() as line, \
            ServedApp(fake_rasa_app(FakeRasaState()), lifespan="off") as rasa:
        arrivals = Arrivals()
        line.state.calls = arrivals  # type: ignore[assignment]
        ports = [free_port(), free_port()]
        with RoundRobin([("127.0.0.1", p) for p in ports]) as balancer:
            base = stack_settings(url, tmp_path, rasa_url=rasa.url, line_api_base_url=line.url,
                                  line_channels=json.dumps([CHANNEL]), log_level="WARNING",
                                  inbox_retry_base_s=0.5, inbox_retry_max_s=2.0)
            specs = [dataclasses.replace(
                gateway_spec(base.model_copy(update={"gateway_port": port})), name=name,
                health_url=f"http://127.0.0.1:{port}/openapi.json")
                for name, port in zip(("gateway-a", "gateway-b"), ports, strict=True)]
            with open(tmp_path / "gateways.log", "a", encoding="utf-8") as out:
                sup = Supervisor(specs, out=out)
                try:
                    sup.start()
                    sup.wait_healthy(timeout=90)
                    threading.Thread(target=sup.watch, daemon=True).start()
                    front = base.model_copy(update={"public_base_url": balancer.url})
                    yield LiveStack(Stack(front, sup), line, arrivals, url), balancer
                finally:
                    sup.stop()


@pytest.mark.postgres
def test_a_gateway_killed_under_load_loses_and_repeats_nothing(
        two_gateways: tuple[LiveStack, RoundRobin]) -> None:
    live, balancer = two_gateways
    row = asyncio.run(under_fault(live, users=3, before=4.0, drain=60.0, seed=5,
                                  killed=("gateway-a",)))
    assert row[LOST] == 0 and row[DUPLICATES] == 0, row
    assert int(row[2]) > 20  # accepted: the load was real
    assert len(balancer.connections) == 2  # both replicas took webhooks
