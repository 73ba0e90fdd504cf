"""Application factory: `uvicorn gateway.app:create_app --factory`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import health
from saphan.logging import configure_logging
from saphan.settings import get_settings

log = logging.getLogger("saphan.gateway")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    log.info("gateway ready on %s", settings.gateway_url)
    yield


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title="Saphan gateway",
        description=(
            "LINE webhooks, Rasa bridge, caseworker dashboard and the service directory API."
        ),
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    return app
