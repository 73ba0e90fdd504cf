"""Health endpoints (docs/operations.md explains which one to use where):

- `GET /healthz`: is everything up — the database, Rasa (with a model loaded) and the action
  server — and can LINE pushes go (not held for the monthly quota, `gateway.push_hold`)? For
  people and `make run`; 503 while any part is down.
- `GET /readyz`: can this gateway take webhooks? Its database answers and its inbox workers
  run. Rasa is not asked: while Rasa is down the gateway still stores every webhook and sends
  the fallback, so taking it out of a load balancer would only lose messages.
- `GET /livez`: does the process still serve requests at all? (A liveness probe that restarts
  the gateway when Rasa is down would make things worse.)
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.rasa_bridge import RasaBridge
from gateway.state import RasaDep
from saphan.db import get_engine

router = APIRouter(tags=["health"])
#: The name of `InboxWorkers`' dispatch task (gateway/workers.py).
DISPATCH_TASK = "inbox-dispatch"
Check = dict[str, str]


def _check_database() -> Check:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "up"}
    except Exception as exc:  # report any failure, never raise from a health check
        return {"status": "down", "error": type(exc).__name__}


async def _check_http(client: httpx.AsyncClient, url: str, need_key: str | None = None) -> Check:
    try:
        response = await client.get(url, timeout=2.0)
    except httpx.HTTPError as exc:
        return {"status": "down", "error": type(exc).__name__}
    if response.status_code != 200:
        return {"status": "down", "error": f"HTTP {response.status_code}"}
    if need_key and not response.json().get(need_key):
        return {"status": "down", "error": f"no {need_key}"}
    return {"status": "up"}


async def dependency_checks(bridge: RasaBridge) -> dict[str, Check]:
    """Rasa (a model loaded) and the action server, asked at the same time."""
    rasa, actions = await asyncio.gather(
        _check_http(bridge.client, bridge.status_url, need_key="model_file"),
        _check_http(bridge.client, bridge.action_health_url),
    )
    return {"rasa": rasa, "action_server": actions}


def _check_workers() -> Check:
    """The inbox dispatch loop of this process is running (it catches its own errors, so a
    finished task means the workers stopped)."""
    running = any(task.get_name() == DISPATCH_TASK and not task.done()
                  for task in asyncio.all_tasks())
    return {"status": "up"} if running else {"status": "down", "error": "not running"}


def _report(checks: dict[str, Check], ok_word: str, bad_word: str) -> JSONResponse:
    ok = all(c["status"] == "up" for c in checks.values())
    return JSONResponse({"status": ok_word if ok else bad_word, "checks": checks},
                        status_code=200 if ok else 503)


def _check_line_pushes(request: Request) -> Check:
    """Pushes held because a channel's monthly LINE quota is used up (names the channels)."""
    delivery = getattr(request.app.state, "delivery", None)
    held = delivery.hold.held_channels() if delivery is not None else []
    if held:
        return {"status": "held", "error": "monthly limit reached: " + ", ".join(held)}
    return {"status": "up"}


@router.get("/healthz", summary="Health of the gateway and its dependencies")
async def healthz(request: Request, bridge: RasaDep) -> JSONResponse:
    dependencies = await dependency_checks(bridge)
    database = await asyncio.to_thread(_check_database)
    return _report({"database": database, **dependencies,
                    "line_pushes": _check_line_pushes(request)}, "ok", "degraded")


@router.get("/readyz", summary="Whether this gateway takes webhooks (Rasa not needed)")
async def readyz() -> JSONResponse:
    database = await asyncio.to_thread(_check_database)
    return _report({"database": database, "workers": _check_workers()}, "ready", "not ready")


@router.get("/livez", summary="Whether the gateway process serves requests")
async def livez() -> JSONResponse:
    return JSONResponse({"status": "alive"})
