"""Application factory and composition root: `uvicorn gateway.app:create_app --factory`.

The lifespan builds every long-lived part once — channels, the one `Delivery` (the only sender
to LINE), the `RasaBridge` (the only client of Rasa), the case runtime, the erasure
orchestration and the inbox workers — hands them to each other as constructor arguments and
puts them on `app.state` for the routes (`gateway.state`). This is the one gateway module
that imports `cases`: cases plug in through `gateway.ports` and the gateway through
`cases.ports`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases import notification_limits
from cases import service as case_service
from cases.live import Broker
from cases.models import Case, NotificationWindow
from cases.runtime import CaseRuntime
from cases.vocab import OPEN_STATUSES, PRIORITIES
from content.catalogue import validate as validate_catalogue
from content.keywords import load_matcher
from dashboard.deps import CaseRefused, refused_page
from dashboard.routes import router as dashboard_router
from gateway import erasure, health, inbox, metrics, outbox, push_hold, simulator, users, webhook
from gateway.channels import load_channels
from gateway.delivery import Delivery
from gateway.erasure import ConversationErasure
from gateway.line_quota import QuotaWatcher
from gateway.metrics import MeasuredLineSender, MeasuredRasaBridge, Metrics, Sample, sample
from gateway.ports import OwnerEraser
from gateway.processor import EventProcessor
from gateway.retention import RetentionJob, RetentionStep
from gateway.workers import InboxWorkers
from referral_directory import api as directory_api
from referral_directory.gazetteer import latin_place_names
from saphan.logging import RequestIds, configure_logging
from saphan.production import require_safe_settings
from saphan.settings import Settings, get_settings
from saphan.web_security import BodyLimit, SecurityHeaders
from screening import enrollment, practice_runs
from screening import packet as screening_packet
from screening import store as screening_store

log = logging.getLogger("saphan.gateway")
INTERNAL_PREFIX = "/internal/"  # service-to-service routes: never in the public schema
SIMULATOR_MAX_BODY_BYTES = 64_000  # a 5000-character message is at most ~20 kB of JSON

#: Every owner's part of "delete my data", in the order they run in one transaction
#: (outbox rows refer to inbox events; screenings are found through the cases before those
#: are unlinked; the LINE user row, which the gateway erasers look up, goes last).
CONVERSATION_ERASERS: tuple[OwnerEraser, ...] = (
    outbox.erase_conversation, inbox.erase_conversation, screening_store.erase_conversation,
    case_service.erase_conversation, enrollment.erase_conversation, users.erase_conversation,
)


def retention_steps(settings: Settings) -> tuple[RetentionStep, ...]:
    """Every owner's retention purge (docs/privacy.md); outbox rows refer to inbox events."""
    payloads = timedelta(days=settings.retention_payload_days)
    return (
        RetentionStep(outbox.purge_sent, payloads), RetentionStep(inbox.purge_done, payloads),
        RetentionStep(case_service.anonymise_closed,
                      timedelta(days=30 * settings.retention_closed_case_months)),
        RetentionStep(notification_limits.purge_before,
                      timedelta(seconds=2 * settings.case_notify_window_s)),
        RetentionStep(practice_runs.purge_before,
                      timedelta(days=30 * settings.retention_practice_run_months)),
    )


def case_gauges(session: Session, now: datetime) -> list[Sample]:
    """For /metrics: open cases by priority, unclaimed urgent cases and the oldest one's wait,
    caseworker notifications sent and held (in the limits' stored windows)."""
    is_open = Case.status.in_(OPEN_STATUSES)
    by_priority = dict(session.execute(select(Case.priority, func.count()).where(is_open)
                                       .group_by(Case.priority)).tuples().all())
    unclaimed, oldest = session.execute(
        select(func.count(), func.min(Case.created_at))
        .where(is_open, Case.priority == "urgent", Case.assignee_id.is_(None))).one()
    sent = session.scalar(select(func.coalesce(func.sum(NotificationWindow.sent), 0))
                          .where(NotificationWindow.scope == notification_limits.GLOBAL))
    return [*(sample("saphan_cases_open", by_priority.get(p, 0), priority=p) for p in PRIORITIES),
            sample("saphan_urgent_cases_unclaimed", unclaimed),
            sample("saphan_urgent_unclaimed_oldest_age_seconds", metrics.age_s(oldest, now)),
            sample("saphan_notifications_sent", sent or 0),
            sample("saphan_notifications_held", notification_limits.held_total(session))]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    validate_catalogue()  # a broken text file stops the start, not the first message
    load_matcher()  # the emergency keywords: parsed now, not while the first hand-off waits
    channels = load_channels(settings)
    measured = Metrics(sources=(metrics.inbox_gauges, case_gauges))
    rasa = MeasuredRasaBridge(settings, measured)
    live = Broker.for_database(settings.database_url)  # relayed across replicas on PostgreSQL

    def pushes_held(channel: str, held: bool) -> None:  # LINE's monthly limit: gauge + live
        measured.set("saphan_line_pushes_held", int(held), channel=channel)
        live.publish("line_pushes_held", channel=channel, held=held)
    delivery = Delivery(settings, channels, MeasuredLineSender(settings, measured), pushes_held)
    quota = QuotaWatcher(settings, channels.values(), measured, delivery.hold.quota_read)
    cases = CaseRuntime(settings, live=live, recipients=settings.caseworker_line_recipients,
                        messenger=delivery)
    cases.pushes_held = push_hold.held_channels_in  # the dashboard queue's banner
    workers = InboxWorkers(EventProcessor(settings, rasa, delivery, handoff=cases,
                                          place_names=latin_place_names()),
                           simulator_workers=settings.simulator_workers)
    eraser = ConversationErasure(CONVERSATION_ERASERS, tracker=rasa)
    retention = RetentionJob(retention_steps(settings), settings.retention_check_s)
    state = app.state
    state.settings, state.channels, state.rasa, state.delivery = settings, channels, rasa, delivery
    state.live, state.case_runtime, state.erasure, state.workers = live, cases, eraser, workers
    state.metrics, state.line_quota = measured, quota
    live.start()
    cases.start()
    retention.start()
    quota.start()
    delivery.hold.start()
    await workers.start()  # also finishes events left unfinished by a crash or restart
    log.info("gateway ready on %s (channels: %s)", settings.gateway_url, ", ".join(channels))
    try:
        yield
    finally:
        await quota.stop()
        await delivery.hold.stop()
        await retention.stop()
        await workers.stop()
        await eraser.stop()
        await cases.stop()
        await asyncio.to_thread(live.stop)
        await rasa.aclose()
        await delivery.aclose()


def create_app() -> FastAPI:
    configure_logging("gateway")
    settings = get_settings()
    require_safe_settings(settings, "gateway")  # production: no default or weak secret
    docs = settings.docs_on  # off in production unless SAPHAN_DOCS_ENABLED
    app = FastAPI(
        title="Saphan gateway",
        description="LINE webhooks, Rasa bridge, simulator and the caseworker dashboard.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.include_router(webhook.router)  # first: routes are matched in order, it is the busiest
    app.include_router(health.router)
    app.include_router(metrics.router)  # bearer token; not in the OpenAPI schema
    app.include_router(directory_api.router)
    app.include_router(erasure.router)
    if settings.simulator_on:
        app.include_router(simulator.router)
    app.include_router(dashboard_router)  # caseworker dashboard + internal case API
    app.add_exception_handler(CaseRefused, refused_page)  # the dashboard's HTML error page
    app.include_router(screening_packet.router)  # referral packets (signed, expiring links)
    app.openapi = lambda: public_openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit_for=body_limits(settings))
    app.add_middleware(SecurityHeaders, relaxed_paths=frozenset({"/docs", "/redoc"}))
    app.add_middleware(RequestIds)  # outermost: every log line of a request carries its id
    return app


def body_limits(settings: Settings) -> Callable[[str], int]:
    """Each path's request body limit: LINE webhooks their own, the simulator small."""
    def limit_for(path: str) -> int:
        if path.startswith("/line/"):
            return settings.webhook_max_body_bytes
        if path.startswith("/simulator"):
            return min(SIMULATOR_MAX_BODY_BYTES, settings.max_body_bytes)
        return settings.max_body_bytes
    return limit_for


def public_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema without the `/internal` routes (`internal_openapi` has them)."""
    if app.openapi_schema is None:
        schema = internal_openapi(app)
        schema["paths"] = {path: item for path, item in schema["paths"].items()
                           if not path.startswith(INTERNAL_PREFIX)}
        app.openapi_schema = schema
    return app.openapi_schema


def internal_openapi(app: FastAPI) -> dict[str, Any]:
    """Every route's schema, internal ones too (for tests such as the OpenAPI fuzz)."""
    return get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
