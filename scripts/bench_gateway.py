"""Benchmark: how fast the gateway acknowledges signed LINE webhooks (target p95 ≤ 50 ms).

Runs a real gateway process on a fresh SQLite (or --database-url) database with the fake LINE
platform; Rasa is not running, so background processing sends fallbacks meanwhile (realistic
load: acks are measured while the workers write). Prints latency percentiles.

    .venv/bin/python scripts/bench_gateway.py --events 300 --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from gateway.signature import sign
from saphan.processes import gateway_spec
from saphan.settings import Settings
from saphan.supervisor import Supervisor
from testsupport.channels import PUBLIC, channels_json
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine
from testsupport.stack import free_port

SECRET = PUBLIC["secret"]


async def _run(url: str, line: FakeLine, events: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for i in range(events):
        queue.put_nowait(line.webhook_body([line.text_event(f"Ubench{i % 50}", f"message {i}")]))

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            start = time.perf_counter()
            response = await client.post(url, content=body, headers={
                "Content-Type": "application/json", "X-Line-Signature": sign(SECRET, body)})
            latencies.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeLine() as line, \
            migrated_database("sqlite", Path(tmp)) as db_url:
        settings = Settings(database_url=db_url, gateway_port=free_port(),
                            rasa_url=f"http://127.0.0.1:{free_port()}",
                            action_server_url=f"http://127.0.0.1:{free_port()}",
                            line_api_base_url=line.url, line_channels=channels_json([PUBLIC]))
        spec = dataclasses.replace(gateway_spec(settings),
                                   health_url=f"{settings.gateway_url}/openapi.json")
        with open(Path(tmp) / "gateway.log", "w") as out:
            sup = Supervisor([spec], out=out)
            try:
                sup.start()
                sup.wait_healthy(timeout=60)
                url = f"{settings.gateway_url}/line/public/webhook"
                asyncio.run(_run(url, line, 20, 1))  # warm-up
                ms = sorted(asyncio.run(_run(url, line, args.events, args.concurrency)))
            finally:
                sup.stop()
    q = statistics.quantiles(ms, n=100)
    print(f"webhook ack latency over {len(ms)} events, concurrency {args.concurrency} (SQLite):")
    print(f"  p50 {q[49]:.1f} ms   p95 {q[94]:.1f} ms   p99 {q[98]:.1f} ms   max {ms[-1]:.1f} ms")
    print(f"  target p95 <= 50 ms: {'met' if q[94] <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
