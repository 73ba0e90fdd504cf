"""A stand-in for Rasa's REST channel (and the action server's health check) on a loopback port,
whose answers can be made slow or empty per message: for the gateway's send-policy tests
(loading animation, emergencies behind a slow turn, a reply token left unused)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from testsupport.served import ServedApp


class SlowRasa(ServedApp):
    """`delays[message]` seconds before answering `[{"text": "answer to <message>"}]`;
    messages in `silent` get no answer (Rasa said nothing). `received` lists (time, message)."""

    def __init__(self) -> None:
        self.delays: dict[str, float] = {}
        self.silent: set[str] = set()
        self.received: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        app = FastAPI()

        @app.post("/webhooks/rest/webhook")
        async def webhook(request: Request) -> JSONResponse:
            body: dict[str, Any] = await request.json()
            message = str(body.get("message", ""))
            with self._lock:
                self.received.append((time.monotonic(), message))
            await asyncio.sleep(self.delays.get(message, 0.0))
            if message in self.silent:
                return JSONResponse([])
            return JSONResponse([{"recipient_id": body.get("sender"),
                                  "text": f"answer to {message}"}])

        @app.get("/health")
        async def health() -> JSONResponse:  # the action server's health check
            return JSONResponse({"status": "ok"})

        super().__init__(app, lifespan="off")

    def messages(self) -> list[str]:
        with self._lock:
            return [message for _, message in self.received]
