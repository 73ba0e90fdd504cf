"""The caseworker dashboard (`/dashboard`): server-rendered pages, forms with CSRF tokens,
a live queue over server-sent events. Every route except the login form needs a session;
viewing and changing a case is written to the audit log.

Handlers are plain functions (FastAPI runs them in its thread pool) using the dependencies of
`dashboard.deps`; only the event stream is async. The case runtime is started and stopped by
`gateway.app`, which includes this router.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from anyio import from_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from agencies import store as agency_store
from agencies.models import Agency
from cases import audit, login_throttle, notification_limits, service, sessions
from cases.access import Refused, live_shares, visible_notes
from cases.accounts import active_caseworkers, authenticate
from cases.api import router as internal_router
from cases.export import cases_csv
from cases.live import sse
from cases.runtime import READY_REPLIES
from cases.vocab import CLOSED_STATUSES, NOTE_VISIBILITIES, OPEN_STATUSES, REFERRAL_REASONS
from content.catalogue import language_or_default, text, texts
from dashboard import story, timing
from dashboard.admin import router as admin_router
from dashboard.auth import (
    LOGIN_COOKIE,
    Login,
    check_login_csrf,
    end_login,
    login_csrf_cookie,
    secure_cookies,
    start_login,
    throttle_key,
)
from dashboard.deps import (
    CaseFormDep,
    CaseViewDep,
    CheckedCaseworker,
    CurrentCaseworker,
    DbDep,
    RuntimeDep,
    SettingsDep,
    refused,
)
from dashboard.directory import router as directory_router
from dashboard.insights import router as insights_router
from dashboard.labels import case_context as labels_context
from dashboard.labels import queue_context as labels_queue_context
from dashboard.labels import queue_labels as labels_queue_rows
from dashboard.labels import router as labels_router
from dashboard.nrm import case_context as nrm_case_context
from dashboard.nrm import router as nrm_router
from dashboard.password import router as password_router
from dashboard.referrals import case_context as referral_context
from dashboard.referrals import router as referrals_router
from dashboard.render import interface_texts, render
from dashboard.services import suggested_services
from dashboard.training import router as training_router
from saphan.db import run_in_session, utcnow
from saphan.language import DEFAULT_LANGUAGE
from saphan.settings import Settings

KEEPALIVE_S = 15.0
#: A phone number written in a message: Thai mobile/landline or international (+...).
PHONE = re.compile(r"(?<![\d+])(?:\+\d{1,3}[ -]?)?0?\d{1,2}[ -]?\d{3}[ -]?\d{3,4}(?!\d)")
# Streams end after this long and the browser reconnects (a page refreshes on reconnect), so
# open dashboards never hold up a gateway shutdown for longer.
STREAM_MAX_S = 30.0
#: Queue rows per page ("show more" adds as many): the page no longer renders every open case
#: (benchmarks/growth.md).
QUEUE_PAGE = 100
#: The most rows one page shows (`?limit=` is capped: SQL's LIMIT is a 64-bit number).
QUEUE_MAX = 1_000_000

router = APIRouter()
router.include_router(internal_router)
pages = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)


# -- login -----------------------------------------------------------------------------------
@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep,
               lang: str = DEFAULT_LANGUAGE) -> HTMLResponse:
    return _login_form(request, settings, language_or_default("dashboard", lang), None)


def _login_form(request: Request, settings: Settings, lang: str, message: str | None,
                status_code: int = 200) -> HTMLResponse:
    token, cookie = login_csrf_cookie(settings)
    response = render(request, "login.html", None, lang, status_code, csrf=token,
                      message=message)
    response.set_cookie(LOGIN_COOKIE, cookie, httponly=True, samesite="strict",
                        path="/dashboard", secure=secure_cookies(request, settings))
    return response


@pages.post("/login")
def login(request: Request, db: DbDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=200)],
          csrf: Annotated[str, Form()] = "",
          lang: Annotated[str, Form()] = DEFAULT_LANGUAGE) -> Response:
    """Failures slow down only this account from this client (`cases.login_throttle`): an
    attempt before its delay is over is answered 429 with the wait, unchecked and uncounted."""
    check_login_csrf(request, settings, csrf)
    lang = language_or_default("dashboard", lang)
    key = throttle_key(request, settings, username)
    wait = login_throttle.attempt(db, key, settings.login_delay_max_s)
    if wait > 0:
        seconds = math.ceil(wait)
        response = _login_form(request, settings, lang,
                               text("dashboard", "login_wait", lang, seconds=seconds), 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    worker = authenticate(db, username, password)
    if worker is None:
        audit.record(db, username.strip().lower()[:64], "login_failed")
        return _login_form(request, settings, lang, texts("dashboard", lang)["login_failed"], 401)
    login_throttle.succeeded(db, key)
    audit.record(db, worker.username, "login")
    response = RedirectResponse("/dashboard", status_code=303)
    start_login(request, response, db, settings, worker, lang)
    response.delete_cookie(LOGIN_COOKIE, path="/dashboard")
    return response


@pages.post("/logout")
def logout(login: CheckedCaseworker, db: DbDep) -> Response:
    """Ends the session on the server: its cookie no longer works anywhere."""
    audit.record(db, login.worker.username, "logout")
    response = RedirectResponse("/dashboard/login", status_code=303)
    end_login(response, db, login)
    return response


@pages.post("/language")
def switch_language(request: Request, login: CheckedCaseworker, db: DbDep) -> Response:
    sessions.set_language(db, login.token, "en" if login.language == "th" else "th")
    back = urlsplit(request.headers.get("referer") or "").path
    return RedirectResponse(back if back.startswith("/dashboard") else "/dashboard",
                            status_code=303)


# -- queue -----------------------------------------------------------------------------------
def _queue_context(db: Session, login: Login, settings: Settings, show: str = "all",
                   label: str = "", limit: int = QUEUE_PAGE) -> dict[str, Any]:
    """The open cases the login's agency is on (filter `show`, and `label`: one of the
    agency's labels; overdue first: `timing`), the first `limit` of them (`more`: how many
    are not shown), with the agency's own assignee and labels, the response clock and, for a
    case shared with it, the owning agency's name."""
    now, targets = utcnow(), settings.case_sla_s()
    show = show if show in timing.FILTERS else "all"
    limit = min(max(QUEUE_PAGE, limit), QUEUE_MAX)
    tags = labels_queue_context(db, login, label)
    chosen = tags["label_chosen"].id if tags["label_chosen"] is not None else None
    found = timing.queue(db, login.worker, targets, show, chosen, limit, now)
    rows = found.views  # only the page's rows are read further (the cut is SQL's)
    clocks = timing.timings(db, [v.case for v in rows], targets, now)
    workers = {w.id: w.display_name for w in active_caseworkers(db)}
    held = notification_limits.held_now(db, settings.case_notify_window_s)
    owners = {v.case.agency_id for v in rows if not v.owner}
    return {"rows": rows, "more": max(0, found.total - limit), "limit": limit,
            "next_limit": limit + QUEUE_PAGE, "clocks": clocks, **tags,
            **labels_queue_rows(db, login, [v.case.id for v in rows]),
            "duration": _duration(login.language), "show": show, "filters": timing.FILTERS,
            "workers": workers, "notifications_held": held,
            "agency_names": _agency_names(db, owners, login.language)}


def _duration(language: str) -> Any:
    texts_of = interface_texts(language)
    return lambda seconds: timing.duration(seconds, texts_of)


def _agency_names(db: Session, agency_ids: set[int | None], language: str) -> dict[int, str]:
    found = (db.get(Agency, agency_id) for agency_id in agency_ids if agency_id is not None)
    return {a.id: agency_store.name(a, language) for a in found if a is not None}


@pages.get("", response_class=HTMLResponse)
def queue_page(request: Request, login: CurrentCaseworker, db: DbDep, settings: SettingsDep,
               runtime: RuntimeDep, show: str = "all", label: str = "",
               limit: int = QUEUE_PAGE) -> HTMLResponse:
    return render(request, "queue.html", login, login.language,
                  **_queue_context(db, login, settings, show, label, limit),
                  pushes_held=runtime.pushes_held(db))  # LINE's monthly limit: a banner


@pages.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, login: CurrentCaseworker, db: DbDep,
               settings: SettingsDep, show: str = "all", label: str = "",
               limit: int = QUEUE_PAGE) -> HTMLResponse:
    return render(request, "_queue_rows.html", login, login.language,
                  **_queue_context(db, login, settings, show, label, limit))


def _case_id_of(event: dict[str, Any]) -> int | None:
    case = event.get("case")
    found = event.get("case_id", case.get("id") if isinstance(case, dict) else None)
    return found if isinstance(found, int) else None


class _LiveAccess:
    """Which events of the broker one stream may see: an event of a case reaches a login only
    when its agency is on the case, a message only with "conversation", a province only with
    "location"; an event of an agency (no case) only to that agency. Decided at send time with
    a short session; what a case shares is cached per stream and read again on every event
    but messages (a case created, updated, referred...)."""

    def __init__(self, agency_id: int | None) -> None:
        self.agency_id = agency_id
        self.known: dict[int, frozenset[str] | None] = {}

    async def allowed(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """The event as this stream may see it, or None."""
        case_id = _case_id_of(event)
        if case_id is None:  # e.g. "referral_incoming": only to the receiving agency
            to = event.get("agency_id")
            return event if to is None or to == self.agency_id else None
        if event["kind"] != "message" or case_id not in self.known:
            self.known[case_id] = await run_in_session(live_shares, self.agency_id, case_id)
        shares = self.known[case_id]
        if shares is None or (event["kind"] == "message" and "conversation" not in shares):
            return None
        case = event.get("case")
        if isinstance(case, dict) and "location" not in shares and case.get("province"):
            return {**event, "case": {**case, "province": ""}}
        return event


@pages.get("/events")
async def events(request: Request, login: CurrentCaseworker,
                 runtime: RuntimeDep) -> StreamingResponse:
    """Server-sent events: case_created, case_updated, case_renotified, message; each only to
    logins whose agency is on the case (`_LiveAccess`)."""
    live = runtime.live
    loop = asyncio.get_running_loop()
    access = _LiveAccess(login.worker.agency_id)

    async def stream() -> AsyncIterator[str]:
        async with live.subscribe() as queue:
            yield "retry: 1000\n: connected\n\n"
            ends = loop.time() + STREAM_MAX_S
            while loop.time() < ends and not await request.is_disconnected():
                try:
                    wait = min(KEEPALIVE_S, max(0.1, ends - loop.time()))
                    event = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                visible = await access.allowed(event)
                if visible is not None:
                    yield sse(visible)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@pages.get("/export.csv")
def export(login: CurrentCaseworker, db: DbDep) -> Response:
    """The cases the login's agency is on (`cases.export.cases_csv`)."""
    body = cases_csv(db, login.worker.agency_id)
    audit.record(db, login.worker.username, "export")
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="saphan-cases.csv"'})


# -- one case --------------------------------------------------------------------------------
@pages.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, view: CaseViewDep, login: CurrentCaseworker,
              db: DbDep, runtime: RuntimeDep) -> HTMLResponse:
    """Only what the case shares with the login's agency (`cases.access`); reading the
    transcript is audited apart from the view."""
    case = view.case
    audit.record(db, login.worker.username, "view", case.id)
    conversation = view.sees("conversation")
    if conversation:
        audit.record(db, login.worker.username, "view_transcript", case.id)
    workers = active_caseworkers(db)
    names = {w.id: w.display_name for w in workers}
    person = from_thread.run(runtime.person_language, case) if conversation else case.language
    ui = interface_texts(login.language)
    reasons = service.reasons(db, case.id)
    messages = service.transcript(db, case.id) if conversation else []
    context = {
        "view": view,
        "reasons": reasons,
        "clock": timing.timings(db, [case], runtime.settings.case_sla_s())[case.id],
        "duration": _duration(login.language),
        "story": story.screening_story(case.screening, login.language, ui,
                                       texts("bot", login.language))
        if view.sees("screening") else None,
        "history": story.history(service.events(db, case.id), ui, names,
                                 _agency_labels(db, login.language)),
        "phone": _phone_of(messages),
        "person_language": person,
        "ready_replies": [{"key": key, "text": text("cases", key, person),
                           "meaning": text("cases", key, login.language)}
                          for key in READY_REPLIES] if conversation else [],
        "case": case,
        "messages": messages,
        "meanings": story.meanings(messages, case.language, login.language),
        "notes": visible_notes(db, view),
        "note_visibilities": NOTE_VISIBILITIES,
        "events": service.events(db, case.id),
        **referral_context(db, view, login, runtime.settings.production),
        **nrm_case_context(db, view, login),
        **labels_context(db, view),
        "services": suggested_services(db, case, person)
        if conversation and view.sees("location") else [],
        "workers": [w for w in workers if w.agency_id == case.agency_id],
        "names": names,
        "owner_name": _agency_names(db, {case.agency_id}, login.language).get(
            case.agency_id or 0, ""),
        "open_statuses": OPEN_STATUSES, "closed_statuses": CLOSED_STATUSES,
        "referral_reasons": REFERRAL_REASONS,
    }
    return render(request, "case.html", login, login.language, **context)


def _agency_labels(db: Session, language: str) -> dict[str, str]:
    """Agency names by id and by code (case events name agencies either way)."""
    found: dict[str, str] = {}
    for agency in agency_store.all_agencies(db, active_only=False):
        found[str(agency.id)] = found[agency.code] = agency_store.name(agency, language)
    return found


def _phone_of(messages: list[Any]) -> str | None:
    """The last phone number the person wrote in the chat (for a tel: link), if any."""
    for message in reversed(messages):
        if message.sender == "user":
            found = PHONE.search(message.body)
            if found:
                return re.sub(r"[^\d+]", "", found.group(0))
    return None


@pages.get("/cases/{case_id}/transcript", response_class=HTMLResponse)
def transcript(request: Request, view: CaseViewDep, login: CurrentCaseworker,
               db: DbDep) -> HTMLResponse:
    """The transcript fragment (live refresh of the case page): 403 without "conversation"."""
    try:
        view.require("conversation")
    except Refused as exc:
        raise refused(exc, login) from None
    audit.record(db, login.worker.username, "view_transcript", view.case.id)
    messages = service.transcript(db, view.case.id)
    return render(request, "_transcript.html", login, login.language, messages=messages,
                  case=view.case,
                  meanings=story.meanings(messages, view.case.language, login.language))


@pages.post("/cases/{case_id}/claim")
def claim(form: CaseFormDep) -> Response:
    """Owning agency only: a shared agency's assignee is set when it accepts the referral."""
    form.owner_only()
    return form.apply("claim", lambda: service.claim(form.db, form.case_id, form.worker_id),
                      updated={"claimed": True})


@pages.post("/cases/{case_id}/assign")
def assign(form: CaseFormDep, caseworker_id: Annotated[int, Form()]) -> Response:
    """A supervisor (or agency/system admin) of the owning agency, to one of its caseworkers."""
    form.check(form.view.require_owner_supervisor)
    return form.apply(
        "assign", lambda: service.assign(form.db, form.case_id, caseworker_id, form.worker_id),
        f"to caseworker {caseworker_id}", updated={"claimed": True})


@pages.post("/cases/{case_id}/reply")
def reply(form: CaseFormDep, text: Annotated[str, Form(min_length=1, max_length=5000)],
          ) -> Response:
    form.need("conversation")
    return form.apply("reply", lambda: form.relay(form.runtime.reply, form.case_id,
                                                  form.worker_id, text))


@pages.post("/cases/{case_id}/ready-reply")
def ready_reply(form: CaseFormDep, key: Annotated[str, Form(max_length=64)]) -> Response:
    """One click: the ready reply `key` goes to the person in their language."""
    form.need("conversation")
    return form.apply("ready_reply", lambda: form.relay(form.runtime.ready_reply, form.case_id,
                                                        form.worker_id, key), key)


@pages.post("/cases/{case_id}/services")
def send_services(form: CaseFormDep, service_id: Annotated[int, Form()]) -> Response:
    """Service cards from the suggestions for the case's place (none without "location")."""
    form.need("conversation")
    case = form.case()
    suggested = (suggested_services(form.db, case, from_thread.run(
        form.runtime.person_language, case)) if form.view.sees("location") else [])
    cards = [s for s in suggested if s["id"] == service_id]
    return form.apply("send_service", lambda: form.relay(
        form.runtime.send_services, form.case_id, form.worker_id, cards),
        f"service {service_id}")


@pages.post("/cases/{case_id}/notes")
def note(form: CaseFormDep, body: Annotated[str, Form(min_length=1, max_length=5000)],
         visibility: Annotated[str, Form(max_length=8)] = "agency") -> Response:
    """A note of the login's agency; "agency" (the default) keeps it from the other agencies
    on the case, "case" shows it to those the notes are shared with."""
    return form.apply("note", lambda: service.add_note(form.db, form.case_id, body,
                                                       form.worker_id, visibility),
                      visibility)


@pages.post("/cases/{case_id}/status")
def status(form: CaseFormDep, value: Annotated[str, Form()]) -> Response:
    form.owner_only()
    return form.apply("status", lambda: service.change_status(form.db, form.case_id, value,
                                                              form.worker_id),
                      value, updated={"status": value})


@pages.post("/cases/{case_id}/handoff/end")
def end_handoff(form: CaseFormDep) -> Response:
    form.owner_only()
    return form.apply("end_handoff", lambda: form.relay(form.runtime.end_handoff, form.case_id,
                                                        form.worker_id))


@pages.post("/cases/{case_id}/close")
def close(form: CaseFormDep, outcome: Annotated[str, Form()],
          reason: Annotated[str, Form(min_length=1, max_length=5000)]) -> Response:
    form.owner_only()
    return form.apply("close", lambda: form.relay(form.runtime.close, form.case_id, outcome,
                                                  reason, form.worker_id),
                      outcome, to_queue=True)


@pages.post("/cases/{case_id}/legal-hold")
def legal_hold(form: CaseFormDep, on: Annotated[bool, Form()],
               reason: Annotated[str, Form(max_length=300)] = "") -> Response:
    """Retention never anonymises a case on legal hold (docs/privacy.md); a supervisor (or
    agency/system admin) of the owning agency sets or releases it."""
    form.check(form.view.require_owner_supervisor)
    return form.apply("legal_hold" if on else "legal_hold_released", lambda: service.set_legal_hold(
        form.db, form.case_id, on, reason, form.login.worker.username, form.worker_id))


router.include_router(pages)
router.include_router(password_router)
router.include_router(admin_router)
router.include_router(referrals_router)
router.include_router(nrm_router)
router.include_router(insights_router)
router.include_router(training_router)
router.include_router(directory_router)
router.include_router(labels_router)
