"""`GET /healthz`: is the database, Rasa (with a model loaded) and the action server up?"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.state import RasaDep
from saphan.db import get_engine

router = APIRouter(tags=["health"])


def _check_database() -> dict[str, str]:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "up"}
    except Exception as exc:  # report any failure, never raise from a health check
        return {"status": "down", "error": type(exc).__name__}


async def _check_http(client: httpx.AsyncClient, url: str, need_key: str | None = None) -> dict:
    try:
        response = await client.get(url, timeout=2.0)
    except httpx.HTTPError as exc:
        return {"status": "down", "error": type(exc).__name__}
    if response.status_code != 200:
        return {"status": "down", "error": f"HTTP {response.status_code}"}
    if need_key and not response.json().get(need_key):
        return {"status": "down", "error": f"no {need_key}"}
    return {"status": "up"}


@router.get("/healthz", summary="Health of the gateway and its dependencies")
async def healthz(bridge: RasaDep) -> JSONResponse:
    rasa, actions = await asyncio.gather(
        _check_http(bridge.client, bridge.status_url, need_key="model_file"),
        _check_http(bridge.client, bridge.action_health_url),
    )
    database = await asyncio.to_thread(_check_database)
    checks = {"database": database, "rasa": rasa, "action_server": actions}
    ok = all(c["status"] == "up" for c in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks},
                        status_code=200 if ok else 503)
