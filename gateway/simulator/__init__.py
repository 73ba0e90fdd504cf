"""`GET /simulator`: a LINE-like chat page that talks to the bot through the same pipeline
(inbox → workers → Rasa → LINE message mapping), on the `simulator-public|officer` channels.
Its answers are recorded in the outbox instead of being sent to LINE; the page polls them."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from gateway import outbox
from gateway.channels import SIMULATOR_PREFIX
from gateway.state import ChannelsDep, SettingsDep, WorkersDep
from gateway.transactions import run
from gateway.webhook import accept_events
from saphan.client_address import client_address
from saphan.http_types import AfterId
from saphan.rate_limit import WindowLimiter

router = APIRouter(tags=["simulator"])
HERE = Path(__file__).resolve().parent
USER_PATTERN = r"^sim-[a-z0-9]{8,40}$"
Audience = Literal["public", "officer"]


class SimulatorInput(BaseModel):
    """What the page sends: a text, a button's postback data, a location, or "follow"."""

    user: str = Field(pattern=USER_PATTERN)
    text: str | None = Field(default=None, min_length=1, max_length=5000)
    postback: str | None = Field(default=None, min_length=1, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    follow: bool = False


def to_line_event(item: SimulatorInput) -> dict:
    """The LINE webhook event the page's input corresponds to."""
    event: dict = {"webhookEventId": uuid.uuid4().hex, "timestamp": int(time.time() * 1000),
                   "source": {"type": "user", "userId": item.user}, "mode": "active",
                   "deliveryContext": {"isRedelivery": False}}
    if item.follow:
        event["type"] = "follow"
    elif item.postback is not None:
        event.update(type="postback", postback={"data": item.postback})
    elif item.latitude is not None and item.longitude is not None:
        event.update(type="message", message={"id": uuid.uuid4().hex, "type": "location",
                                              "latitude": item.latitude,
                                              "longitude": item.longitude})
    elif item.text is not None:
        event.update(type="message", message={"id": uuid.uuid4().hex, "type": "text",
                                              "text": item.text})
    else:
        raise ValueError("send text, postback, latitude+longitude or follow")
    return event


@router.get("/simulator", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(HERE / "page.html", media_type="text/html; charset=utf-8")


@router.get("/simulator/simulator.js", include_in_schema=False)
async def script() -> FileResponse:
    return FileResponse(HERE / "simulator.js", media_type="text/javascript; charset=utf-8")


@router.get("/simulator/simulator.css", include_in_schema=False)
async def style() -> FileResponse:
    return FileResponse(HERE / "simulator.css", media_type="text/css; charset=utf-8")


def limiter(request: Request, per_minute: int) -> WindowLimiter:
    """The app's simulator rate limiter (made on first use)."""
    state = request.app.state
    if getattr(state, "simulator_limiter", None) is None:
        state.simulator_limiter = WindowLimiter(per_minute, 60.0)
    return state.simulator_limiter


@router.post("/simulator/api/{audience}/events", summary="Send as a simulated LINE user")
async def send(audience: Audience, item: SimulatorInput, channels: ChannelsDep,
               workers: WorkersDep, settings: SettingsDep, request: Request) -> JSONResponse:
    client = client_address(request, settings.trusted_proxies)
    if not limiter(request, settings.simulator_rate_per_minute).allow(client):
        return JSONResponse({"error": "too many simulator messages; wait a minute"},
                            status_code=429, headers={"Retry-After": "60"})
    try:
        event = to_line_event(item)
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    return await accept_events(workers, channels[f"{SIMULATOR_PREFIX}{audience}"], [event])


@router.get("/simulator/api/{audience}/messages", summary="Bot messages sent to a simulated user")
async def messages(audience: Audience, user: str = Query(pattern=USER_PATTERN),
                   after: AfterId = 0) -> JSONResponse:
    batches = await run(outbox.sent_to, f"{SIMULATOR_PREFIX}{audience}", user, after)
    return JSONResponse([{"id": i, "messages": m} for i, m in batches])
