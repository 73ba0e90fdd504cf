"""The gateway's Rasa client (`RasaBridge.send`, aiohttp) against a real HTTP server on
loopback: answers are returned, and every way Rasa can fail becomes `RasaUnavailable` (which
makes the processor send the fallback and retry), a slow Rasa after `rasa_timeout_s`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from gateway.rasa_bridge import RasaBridge, RasaUnavailable
from saphan.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def rasa_at(handler: Handler, timeout_s: float = 5.0) -> AsyncIterator[RasaBridge]:
    """A bridge whose Rasa is `handler` on a free loopback port."""
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    bridge = RasaBridge(Settings(rasa_url=f"http://127.0.0.1:{port}", rasa_timeout_s=timeout_s))
    try:
        yield bridge
    finally:
        await bridge.aclose()
        await runner.cleanup()


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_answers_and_sends_the_message_as_json() -> None:
    seen: list[dict] = []

    async def rasa(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response([{"recipient_id": "c1", "text": "สวัสดี"}])

    async def scenario() -> list[dict]:
        async with rasa_at(rasa) as bridge:
            return await bridge.send("c1", "สวัสดีครับ", {"language": "th", "location": None})

    assert run(scenario()) == [{"recipient_id": "c1", "text": "สวัสดี"}]
    assert seen == [{"sender": "c1", "message": "สวัสดีครับ",
                     "metadata": {"language": "th", "location": None}}]


@pytest.mark.parametrize(("status", "body", "reason"), [
    (500, b"[]", "HTTP 500"),
    (200, b"<html>", "invalid JSON"),
    (200, json.dumps({"text": "x"}).encode(), "unexpected shape"),
])
def test_a_failing_rasa_is_unavailable(status: int, body: bytes, reason: str) -> None:
    async def rasa(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    async def scenario() -> None:
        async with rasa_at(rasa) as bridge:
            await bridge.send("c1", "hi", {})

    with pytest.raises(RasaUnavailable, match=reason):
        run(scenario())


def test_a_slow_rasa_times_out_after_the_setting() -> None:
    async def rasa(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response([])

    async def scenario() -> float:
        async with rasa_at(rasa, timeout_s=0.5) as bridge:
            start = time.monotonic()
            with pytest.raises(RasaUnavailable):
                await bridge.send("c1", "hi", {})
            return time.monotonic() - start

    assert 0.4 < run(scenario()) < 4.0  # type: ignore[operator]


def test_rasa_not_listening_is_unavailable() -> None:
    async def scenario() -> None:
        bridge = RasaBridge(Settings(rasa_url="http://127.0.0.1:9", rasa_timeout_s=2.0))
        try:
            await bridge.send("c1", "hi", {})
        finally:
            await bridge.aclose()

    with pytest.raises(RasaUnavailable):
        run(scenario())
