"""`GET /healthz`: is the database, Rasa (with a model loaded) and the action server up?"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from saphan.db import get_engine
from saphan.settings import get_settings

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
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return {"status": "down", "error": type(exc).__name__}
    if response.status_code != 200:
        return {"status": "down", "error": f"HTTP {response.status_code}"}
    if need_key and not response.json().get(need_key):
        return {"status": "down", "error": f"no {need_key}"}
    return {"status": "up"}


@router.get("/healthz", summary="Health of the gateway and its dependencies")
async def healthz(request: Request) -> JSONResponse:
    settings = get_settings()
    async with httpx.AsyncClient(timeout=2.0) as client:
        rasa, actions = await asyncio.gather(
            _check_http(client, f"{settings.rasa_url}/status", need_key="model_file"),
            _check_http(client, f"{settings.action_server_url}/health"),
        )
    database = await asyncio.to_thread(_check_database)
    checks = {"database": database, "rasa": rasa, "action_server": actions}
    ok = all(c["status"] == "up" for c in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks},
                        status_code=200 if ok else 503)
