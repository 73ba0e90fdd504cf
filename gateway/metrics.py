"""`GET /metrics`: the gateway in Prometheus' text exposition format (0.0.4), for scraping and
the alert rules in `deploy/prometheus/alerts.yml` (docs/operations.md).

Two kinds of numbers:
- counted in this process (`Metrics.inc`, `Metrics.observe`, `Metrics.set`): Rasa call latency
  and errors (`MeasuredRasaBridge`), LINE send outcomes by HTTP status (`MeasuredLineSender`),
  LINE's monthly quota (`gateway.line_quota`). They start at zero with each process; with
  several replicas, sum them.
- read from the database at each scrape (`GaugeSource`s: the inbox and outbox here, the cases
  composed in `gateway.app`). Every replica reports the same values; take the max.

Labels hold only fixed words, channel names and HTTP statuses: never a LINE id, a
conversation id or a text. The route needs `Authorization: Bearer <SAPHAN_METRICS_TOKEN>`
(empty: the internal API token), so it is never public.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import PlainTextResponse
from linebot.v3.messaging.exceptions import ApiException
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gateway import outbox
from gateway.channels import Channel
from gateway.health import dependency_checks
from gateway.line_sender import LineSender
from gateway.models import FAILED, PENDING, PROCESSING, InboxEvent, OutboxMessage
from gateway.rasa_bridge import RasaBridge
from gateway.state import RasaDep
from gateway.transactions import run
from saphan.db import utcnow
from saphan.settings import Settings

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Kind = Literal["counter", "gauge", "histogram"]
Labels = tuple[tuple[str, str], ...]
#: Rasa answers in well under a second when healthy; its timeout is 10 s.
RASA_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Family:
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()  # the label names every sample has (histograms: and "le")
    zero: bool = False  # shown as 0 before anything was counted (a label-less counter)


#: Every metric the gateway exports: one place for names, types and meanings (the alert-rule
#: test checks the rules against this list and a real scrape).
FAMILIES: dict[str, Family] = {
    "saphan_up": Family(
        "gauge", "Whether a part answers its health check at scrape time, by part (database, "
        "rasa, action_server); the database gauges below are missing while it is down.",
        ("part",)),
    "saphan_inbox_events": Family(
        "gauge", "Accepted LINE events not finished yet, by status (pending, processing).",
        ("status",)),
    "saphan_inbox_oldest_pending_age_seconds": Family(
        "gauge", "Age of the oldest unfinished event (0: none)."),
    "saphan_inbox_dead_letters": Family(
        "gauge", "Events given up on (status failed: LINE refused the answer, or too many "
        "attempts), until retention deletes them."),
    "saphan_outbox_unsent_batches": Family(
        "gauge", "Recorded message batches not sent yet: pending (will be retried), held (the "
        "push waits for LINE's monthly quota) or failed (their event was given up on, or LINE "
        "refused the held push).", ("state",)),
    "saphan_cases_open": Family("gauge", "Open cases by priority.", ("priority",)),
    "saphan_urgent_cases_unclaimed": Family("gauge", "Open urgent cases nobody has claimed."),
    "saphan_urgent_unclaimed_oldest_age_seconds": Family(
        "gauge", "How long the oldest unclaimed urgent case has waited (0: none)."),
    "saphan_notifications_sent": Family(
        "gauge", "Caseworker LINE notifications sent in the notification limits' windows still "
        "stored (about the last two)."),
    "saphan_notifications_held": Family(
        "gauge", "Caseworker LINE notifications held by the notification limits in the windows "
        "still stored."),
    "saphan_rasa_request_duration_seconds": Family(
        "histogram", "Time of the gateway's calls to Rasa, by outcome (ok, error).", ("outcome",)),
    "saphan_rasa_errors_total": Family(
        "counter", "Rasa calls that failed (connection refused, timeout, non-200, bad JSON).",
        zero=True),
    "saphan_line_sends_total": Family(
        "counter", "LINE reply and push calls LINE accepted, by call.", ("call",)),
    "saphan_line_send_errors_total": Family(
        "counter", "LINE reply and push calls that failed, by call and HTTP status "
        "(network: no answer).", ("call", "status")),
    "saphan_line_quota_limit": Family(
        "gauge", "LINE's monthly message limit of the channel (-1: none).", ("channel",)),
    "saphan_line_quota_used": Family(
        "gauge", "Messages the channel sent this month (LINE).", ("channel",)),
    "saphan_line_quota_used_ratio": Family(
        "gauge", "Share of the channel's monthly limit used (0 without a limit).", ("channel",)),
    "saphan_line_quota_check_errors_total": Family(
        "counter", "Failed reads of a channel's quota from LINE.", ("channel",)),
    "saphan_line_pushes_held": Family(
        "gauge", "1 while this gateway holds the channel's pushes because LINE said the monthly "
        "message limit is reached (replies still go), else 0.", ("channel",)),
}


def exported_names() -> set[str]:
    """Every series name the endpoint can show (histograms as _bucket, _sum and _count)."""
    names = set()
    for name, family in FAMILIES.items():
        if family.kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
    return names


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Labels
    value: float


#: Gauges read from the database at each scrape: `source(session, now)`.
GaugeSource = Callable[[Session, datetime], Iterable[Sample]]


def sample(name: str, value: float, **labels: str) -> Sample:
    family = FAMILIES.get(name)
    if family is None or family.kind != "gauge" or set(labels) != set(family.labels):
        raise KeyError(f"{name} is not a gauge with labels {sorted(labels)}")
    return Sample(name, tuple(sorted(labels.items())), float(value))


def age_s(then: datetime | None, now: datetime) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


class Metrics:
    """This process's counters, gauges and histograms, and the database gauge sources."""

    def __init__(self, sources: Sequence[GaugeSource] = ()) -> None:
        self.sources = list(sources)
        self._lock = threading.Lock()
        self._values: dict[tuple[str, Labels], float] = {}
        self._histograms: dict[tuple[str, Labels], list[float]] = {}  # bucket counts, sum, n

    def inc(self, name: str, by: float = 1.0, **labels: str) -> None:
        key = self._key(name, "counter", labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + by

    def set(self, name: str, value: float, **labels: str) -> None:
        key = self._key(name, "gauge", labels)
        with self._lock:
            self._values[key] = float(value)

    def observe(self, name: str, value: float, **labels: str) -> None:
        key = self._key(name, "histogram", labels)
        with self._lock:
            counts = self._histograms.setdefault(key, [0.0] * (len(RASA_BUCKETS) + 2))
            for i, bound in enumerate(RASA_BUCKETS):
                if value <= bound:
                    counts[i] += 1
            counts[-2] += value
            counts[-1] += 1

    def value(self, name: str, **labels: str) -> float:
        """A counter's or process gauge's current value (0 if never set)."""
        with self._lock:
            return self._values.get((name, tuple(sorted(labels.items()))), 0.0)

    @staticmethod
    def _key(name: str, kind: Kind, labels: dict[str, str]) -> tuple[str, Labels]:
        family = FAMILIES.get(name)
        if family is None or family.kind != kind or set(labels) != set(family.labels):
            raise KeyError(f"{name} is not a {kind} with labels {sorted(labels)}")
        return name, tuple(sorted(labels.items()))

    def database_samples(self, session: Session) -> list[Sample]:
        now = utcnow()
        return [item for source in self.sources for item in source(session, now)]

    def render(self, database: Iterable[Sample]) -> str:
        """The text exposition: HELP and TYPE of every family, then its samples."""
        by_family: dict[str, list[str]] = {name: [] for name in FAMILIES}
        with self._lock:
            for (name, labels), value in sorted(self._values.items()):
                by_family[name].append(_line(name, labels, value))
            for (name, labels), counts in sorted(self._histograms.items()):
                for bound, count in zip(RASA_BUCKETS, counts, strict=False):
                    by_family[name].append(
                        _line(f"{name}_bucket", (*labels, ("le", _number(bound))), count))
                by_family[name].append(_line(f"{name}_bucket", (*labels, ("le", "+Inf")),
                                             counts[-1]))
                by_family[name].append(_line(f"{name}_sum", labels, counts[-2]))
                by_family[name].append(_line(f"{name}_count", labels, counts[-1]))
        for item in database:
            by_family[item.name].append(_line(item.name, item.labels, item.value))
        for name, family in FAMILIES.items():
            if family.zero and not by_family[name]:
                by_family[name].append(_line(name, (), 0.0))
        out: list[str] = []
        for name, family in FAMILIES.items():
            out.append(f"# HELP {name} {family.help}")
            out.append(f"# TYPE {name} {family.kind}")
            out.extend(by_family[name])
        return "\n".join(out) + "\n"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if float(value).is_integer() else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _line(name: str, labels: Labels, value: float) -> str:
    inner = ",".join(f'{key}="{_escape(val)}"' for key, val in labels)
    return f"{name}{{{inner}}} {_number(value)}" if inner else f"{name} {_number(value)}"


# -- gauges from the gateway's own tables ------------------------------------------------------
def inbox_gauges(session: Session, now: datetime) -> list[Sample]:
    """Inbox depth by status, the oldest unfinished event's age, dead letters; unsent outbox
    batches, pending or failed (their event given up on)."""
    counts = dict(session.execute(
        select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).tuples().all())
    oldest = session.scalar(select(func.min(InboxEvent.received_at))
                            .where(InboxEvent.status.in_((PENDING, PROCESSING))))
    failed_event = case((OutboxMessage.method == outbox.HELD, "held"),
                        (OutboxMessage.method == outbox.REFUSED, "failed"),
                        (InboxEvent.status == FAILED, "failed"), else_="pending")
    unsent = dict(session.execute(
        select(failed_event, func.count())
        .select_from(OutboxMessage)
        .outerjoin(InboxEvent, OutboxMessage.inbox_event_id == InboxEvent.id)
        .where(OutboxMessage.sent_at.is_(None))
        .group_by(failed_event)).tuples().all())
    return [
        sample("saphan_inbox_events", counts.get(PENDING, 0), status=PENDING),
        sample("saphan_inbox_events", counts.get(PROCESSING, 0), status=PROCESSING),
        sample("saphan_inbox_oldest_pending_age_seconds", age_s(oldest, now)),
        sample("saphan_inbox_dead_letters", counts.get(FAILED, 0)),
        sample("saphan_outbox_unsent_batches", unsent.get("pending", 0), state="pending"),
        sample("saphan_outbox_unsent_batches", unsent.get("held", 0), state="held"),
        sample("saphan_outbox_unsent_batches", unsent.get("failed", 0), state="failed"),
    ]


# -- measured parts ------------------------------------------------------------------------------
class MeasuredRasaBridge(RasaBridge):
    """The Rasa bridge, timing each message sent to Rasa and counting the failures."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        super().__init__(settings)
        self.metrics = metrics

    async def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict]:
        start = time.perf_counter()
        outcome = "error"
        try:
            answer = await super().send(sender, message, metadata)
            outcome = "ok"
            return answer
        finally:
            self.metrics.observe("saphan_rasa_request_duration_seconds",
                                 time.perf_counter() - start, outcome=outcome)
            if outcome == "error":
                self.metrics.inc("saphan_rasa_errors_total")


class MeasuredLineSender(LineSender):
    """The LINE sender, counting each reply and push attempt (`call` = reply | push) by
    outcome, including the retries `LineSender.push` makes."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        super().__init__(settings)
        self.metrics = metrics

    async def _send(self, channel: Channel, call: str, body: dict[str, Any],
                    headers: dict[str, str] | None = None) -> None:
        try:
            await super()._send(channel, call, body, headers)
        except ApiException as exc:
            status = str(exc.status) if exc.status else "network"
            self.metrics.inc("saphan_line_send_errors_total", call=call, status=status)
            raise
        except Exception:
            self.metrics.inc("saphan_line_send_errors_total", call=call, status="network")
            raise
        self.metrics.inc("saphan_line_sends_total", call=call)


# -- the route ------------------------------------------------------------------------------------
router = APIRouter(tags=["operations"])


def require_metrics_token(request: Request,
                          authorization: Annotated[str, Header()] = "") -> None:
    """401 unless the request carries the metrics token (or, when that is empty, the internal
    API token)."""
    settings: Settings = request.app.state.settings
    expected = (settings.metrics_token.get_secret_value()
                or settings.internal_api_token.get_secret_value())
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not expected or \
            not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


@router.get("/metrics", summary="Prometheus metrics (bearer token)", include_in_schema=False,
            dependencies=[Depends(require_metrics_token)])
async def metrics_endpoint(request: Request, bridge: RasaDep) -> PlainTextResponse:
    metrics: Metrics = request.app.state.metrics
    checks = await dependency_checks(bridge)
    try:
        database = await run(metrics.database_samples)
        checks["database"] = {"status": "up"}
    except Exception:  # the process's own counters are still worth a scrape
        database = []
        checks["database"] = {"status": "down"}
    database += [sample("saphan_up", check["status"] == "up", part=part)
                 for part, check in checks.items()]
    return PlainTextResponse(metrics.render(database), media_type=CONTENT_TYPE)
