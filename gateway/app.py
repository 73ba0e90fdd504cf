"""Application factory and composition root: `uvicorn gateway.app:create_app --factory`.

The lifespan builds every long-lived part once — channels, the one `Delivery` (the only sender
to LINE), the `RasaBridge` (the only client of Rasa), the case runtime, the erasure
orchestration and the inbox workers — hands them to each other as constructor arguments and
puts them on `app.state` for the routes (`gateway.state`). This is the one gateway module
that imports `cases`: cases plug in through `gateway.ports` and the gateway through
`cases.ports`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cases import service as case_service
from cases.live import Broker
from cases.runtime import CaseRuntime
from content.catalogue import validate as validate_catalogue
from dashboard.routes import router as dashboard_router
from gateway import erasure, health, inbox, outbox, simulator, users, webhook
from gateway.channels import load_channels
from gateway.delivery import Delivery
from gateway.erasure import ConversationErasure
from gateway.line_sender import LineSender
from gateway.ports import OwnerEraser
from gateway.processor import EventProcessor
from gateway.rasa_bridge import RasaBridge
from gateway.workers import InboxWorkers
from referral_directory import api as directory_api
from saphan.logging import configure_logging
from saphan.settings import get_settings
from screening import enrollment

log = logging.getLogger("saphan.gateway")

#: Every owner's part of "delete my data", in the order they run in one transaction
#: (outbox rows refer to inbox events).
CONVERSATION_ERASERS: tuple[OwnerEraser, ...] = (
    outbox.erase_conversation, inbox.erase_conversation, case_service.erase_conversation,
    enrollment.erase_conversation, users.erase_conversation,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    validate_catalogue()  # a broken text file stops the start, not the first message
    channels = load_channels(settings)
    rasa = RasaBridge(settings)
    delivery = Delivery(settings, channels, LineSender(settings))
    live = Broker()
    cases = CaseRuntime(settings, live=live, recipients=settings.caseworker_line_recipients,
                        messenger=delivery)
    workers = InboxWorkers(EventProcessor(settings, rasa, delivery, handoff=cases))
    eraser = ConversationErasure(CONVERSATION_ERASERS, tracker=rasa)
    state = app.state
    state.settings, state.channels, state.rasa, state.delivery = settings, channels, rasa, delivery
    state.live, state.case_runtime, state.erasure, state.workers = live, cases, eraser, workers
    cases.start()
    await workers.start()  # also finishes events left unfinished by a crash or restart
    log.info("gateway ready on %s (channels: %s)", settings.gateway_url, ", ".join(channels))
    try:
        yield
    finally:
        await workers.stop()
        await eraser.stop()
        await cases.stop()
        await rasa.aclose()
        await delivery.aclose()


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title="Saphan gateway",
        description="LINE webhooks, Rasa bridge, simulator and the caseworker dashboard.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(directory_api.router)
    app.include_router(webhook.router)
    app.include_router(erasure.router)
    if get_settings().simulator_enabled:
        app.include_router(simulator.router)
    app.include_router(dashboard_router)  # caseworker dashboard + internal case API
    return app
