"""Test helpers for cases and the dashboard: a recording fake Rasa, apps served in a thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from saphan.db import reset_caches
from testsupport.channels import CHANNELS
from testsupport.fake_line import FakeLine
from testsupport.served import ServedApp

TOKEN = "test-internal-token-0123456789"
RECIPIENTS = [{"channel": "officer", "user_id": "Ucaseworker1"},
              {"channel": "officer", "user_id": "Usupervisor", "wide_only": True}]


@dataclass
class FakeRasaState:
    tracker_events: list[tuple[str, dict]] = field(default_factory=list)  # (conversation, event)
    messages: list[dict] = field(default_factory=list)  # REST channel bodies
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events_of(self, conversation_id: str) -> list[str]:
        with self.lock:
            return [e.get("event", "") for c, e in self.tracker_events if c == conversation_id]


def fake_rasa_app(state: FakeRasaState) -> FastAPI:
    """Rasa's tracker-events endpoint (recorded: tests check that nothing pauses Rasa) and a
    REST channel that echoes."""
    app = FastAPI()

    @app.post("/conversations/{conversation_id}/tracker/events")
    async def tracker_events(conversation_id: str, request: Request) -> JSONResponse:
        body = await request.json()
        with state.lock:
            state.tracker_events.append((conversation_id, body))
        return JSONResponse({"sender_id": conversation_id, "paused": body.get("event") == "pause"})

    @app.post("/webhooks/rest/webhook")
    async def rest(request: Request) -> JSONResponse:
        body = await request.json()
        with state.lock:
            state.messages.append(body)
        return JSONResponse([{"recipient_id": body["sender"], "text": f"bot: {body['message']}"}])

    return app



@dataclass
class Gateway:
    url: str
    rasa: FakeRasaState
    line: FakeLine
    app: FastAPI

    @property
    def runtime(self) -> Any:
        """The app's `cases.runtime.CaseRuntime` (built by its lifespan)."""
        return self.app.state.case_runtime

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the gateway's event loop, where the case runtime lives."""
        return asyncio.run_coroutine_threadsafe(coro, self.runtime.loop).result(timeout)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)

    def create_case(self, **fields: Any) -> httpx.Response:
        body = {"conversation_id": "conv-1", "priority": "urgent", "source": "emergency",
                "language": "en", "summary": "locked in a factory", **fields}
        return httpx.post(f"{self.url}/internal/cases", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"})


@contextmanager
def running_gateway(monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[Gateway]:
    """The real gateway app (dashboard + internal API) in this process, with a fake Rasa and
    a fake LINE; this process's settings point at the same database (`app_env`)."""
    from gateway.app import create_app

    state = FakeRasaState()
    with ServedApp(fake_rasa_app(state), lifespan="off") as rasa, FakeLine() as line:
        values = {"RASA_URL": rasa.url, "LINE_API_BASE_URL": line.url,
                  "LINE_CHANNELS": json.dumps(CHANNELS), "INTERNAL_API_TOKEN": TOKEN,
                  "CASEWORKER_LINE_RECIPIENTS": json.dumps(RECIPIENTS),
                  "CASE_NOTIFY_CHECK_S": "0.2", **env}
        for key, value in values.items():
            monkeypatch.setenv(f"SAPHAN_{key}", value)
        app = create_app()
        served = ServedApp(app)
        monkeypatch.setenv("SAPHAN_PUBLIC_BASE_URL", served.url)
        reset_caches()
        with served:
            yield Gateway(served.url, state, line, app)
