"""`POST /line/{channel}/webhook`: verify, commit to the inbox, acknowledge; process later."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from gateway import inbox
from gateway.channels import Channel
from gateway.signature import is_valid
from gateway.state import ChannelsDep, SettingsDep, WorkersDep
from gateway.transactions import run
from gateway.workers import InboxWorkers

router = APIRouter(tags=["line"])
log = logging.getLogger("saphan.gateway.webhook")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


async def accept_events(workers: InboxWorkers, channel: Channel, events: list) -> JSONResponse:
    """Commit `events` for `channel` (all or nothing) and wake the workers of their people."""
    try:
        stored = await run(inbox.store_events, channel.name, events)
    except inbox.InvalidEvent as exc:
        return _error(400, str(exc))
    except DBAPIError as exc:  # not stored: LINE redelivers the webhook later
        log.warning("webhook not stored, database unavailable (%s)", type(exc).__name__)
        return _error(503, "database unavailable; retry later")
    workers.wake({s.person for s in stored})
    new = sum(1 for s in stored if s.new)
    return JSONResponse({"accepted": new, "redeliveries": len(stored) - new,
                         "ignored": len(events) - len(stored)})


@router.post("/line/{channel_name}/webhook", summary="LINE webhook of one channel")
async def line_webhook(channel_name: str, request: Request, channels: ChannelsDep,
                       settings: SettingsDep, workers: WorkersDep) -> JSONResponse:
    channel = channels.get(channel_name)
    if channel is None or channel.is_simulator:
        return _error(404, f"unknown channel {channel_name!r}")
    limit = settings.webhook_max_body_bytes
    body = await _read_limited(request, limit)
    if body is None:
        return _error(413, f"body larger than {limit} bytes")
    if not is_valid(channel.secret, body, request.headers.get("x-line-signature")):
        return _error(401, "missing or invalid X-Line-Signature")
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # bad JSON/UTF-8, NaN/Infinity, absurd nesting
        return _error(400, "body is not valid JSON")
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return _error(400, "body must be an object with an 'events' list")
    return await accept_events(workers, channel, data["events"])
