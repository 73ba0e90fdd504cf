"""Application factory: `uvicorn gateway.app:create_app --factory`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dashboard.routes import router as dashboard_router
from gateway import health, simulator, webhook
from gateway.channels import load_channels
from gateway.line_sender import LineSender
from gateway.processor import EventProcessor
from gateway.rasa_bridge import RasaBridge
from gateway.workers import InboxWorkers
from referral_directory import api as directory_api
from saphan.logging import configure_logging
from saphan.settings import get_settings

log = logging.getLogger("saphan.gateway")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    channels = load_channels(settings)
    rasa, sender = RasaBridge(settings), LineSender(settings)
    workers = InboxWorkers(EventProcessor(settings, channels, rasa, sender))
    app.state.settings, app.state.channels, app.state.workers = settings, channels, workers
    await workers.start()  # also finishes events left unfinished by a crash or restart
    log.info("gateway ready on %s (channels: %s)", settings.gateway_url, ", ".join(channels))
    try:
        yield
    finally:
        await workers.stop()
        await rasa.aclose()
        await sender.aclose()


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title="Saphan gateway",
        description="LINE webhooks, Rasa bridge, simulator and (later) the caseworker dashboard.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(directory_api.router)
    app.include_router(webhook.router)
    if get_settings().simulator_enabled:
        app.include_router(simulator.router)
    app.include_router(dashboard_router)  # caseworker dashboard + internal case API
    return app
