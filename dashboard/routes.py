"""The caseworker dashboard (`/dashboard`): server-rendered pages, forms with CSRF tokens,
a live queue over server-sent events. Every route except the login form needs a session;
viewing and changing a case is written to the audit log.

Handlers are plain functions (FastAPI runs them in its thread pool) using the dependencies of
`dashboard.deps`; only the event stream is async. The case runtime is started and stopped by
`gateway.app`, which includes this router.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from anyio import from_thread
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from cases import audit, login_throttle, notification_limits, service, sessions
from cases.accounts import active_caseworkers, authenticate
from cases.api import router as internal_router
from cases.export import cases_csv
from cases.live import sse
from cases.runtime import READY_REPLIES
from cases.vocab import CLOSED_STATUSES, OPEN_STATUSES, REFERRAL_REASONS
from content.catalogue import language_or_default, text, texts
from dashboard.auth import (
    LOGIN_COOKIE,
    check_login_csrf,
    end_login,
    login_csrf_cookie,
    secure_cookies,
    start_login,
    throttle_key,
)
from dashboard.deps import (
    CaseFormDep,
    CheckedCaseworker,
    CurrentCaseworker,
    DbDep,
    RuntimeDep,
    SettingsDep,
    case_or_404,
)
from dashboard.password import router as password_router
from dashboard.render import render
from dashboard.services import suggested_services
from saphan.http_types import RowId
from saphan.language import DEFAULT_LANGUAGE
from saphan.settings import Settings

KEEPALIVE_S = 15.0
# Streams end after this long and the browser reconnects (a page refreshes on reconnect), so
# open dashboards never hold up a gateway shutdown for longer.
STREAM_MAX_S = 30.0

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
def _queue_context(db: Session, settings: Settings) -> dict[str, Any]:
    workers = {w.id: w.display_name for w in active_caseworkers(db)}
    held = notification_limits.held_now(db, settings.case_notify_window_s)
    return {"cases": service.queue(db), "workers": workers, "notifications_held": held}


@pages.get("", response_class=HTMLResponse)
def queue_page(request: Request, login: CurrentCaseworker, db: DbDep,
               settings: SettingsDep) -> HTMLResponse:
    return render(request, "queue.html", login, login.language, **_queue_context(db, settings))


@pages.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, login: CurrentCaseworker, db: DbDep,
               settings: SettingsDep) -> HTMLResponse:
    return render(request, "_queue_rows.html", login, login.language,
                  **_queue_context(db, settings))


@pages.get("/events")
async def events(request: Request, _login: CurrentCaseworker,
                 runtime: RuntimeDep) -> StreamingResponse:
    """Server-sent events: case_created, case_updated, case_renotified, message."""
    live = runtime.live
    loop = asyncio.get_running_loop()

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
                yield sse(event)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@pages.get("/export.csv")
def export(login: CurrentCaseworker, db: DbDep) -> Response:
    body = cases_csv(db)
    audit.record(db, login.worker.username, "export")
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="saphan-cases.csv"'})


# -- one case --------------------------------------------------------------------------------
@pages.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: RowId, login: CurrentCaseworker,
              db: DbDep, runtime: RuntimeDep) -> HTMLResponse:
    case = case_or_404(db, case_id)
    audit.record(db, login.worker.username, "view", case_id)
    workers = active_caseworkers(db)
    person = from_thread.run(runtime.person_language, case)
    context = {
        "person_language": person,
        "ready_replies": [{"key": key, "text": text("cases", key, person),
                           "meaning": text("cases", key, login.language)}
                          for key in READY_REPLIES],
        "case": case,
        "messages": service.transcript(db, case_id),
        "notes": service.notes(db, case_id),
        "events": service.events(db, case_id),
        "referrals": service.referrals(db, case_id),
        "services": suggested_services(db, case),
        "screening": json.loads(case.screening) if case.screening else None,
        "workers": workers, "names": {w.id: w.display_name for w in workers},
        "open_statuses": OPEN_STATUSES, "closed_statuses": CLOSED_STATUSES,
        "referral_reasons": REFERRAL_REASONS,
    }
    return render(request, "case.html", login, login.language, **context)


@pages.get("/cases/{case_id}/transcript", response_class=HTMLResponse)
def transcript(request: Request, case_id: RowId, login: CurrentCaseworker,
               db: DbDep) -> HTMLResponse:
    case_or_404(db, case_id)
    return render(request, "_transcript.html", login, login.language,
                  messages=service.transcript(db, case_id))


@pages.post("/cases/{case_id}/claim")
def claim(form: CaseFormDep) -> Response:
    return form.apply("claim", lambda: service.claim(form.db, form.case_id, form.worker_id),
                      updated={"claimed": True})


@pages.post("/cases/{case_id}/assign")
def assign(form: CaseFormDep, caseworker_id: Annotated[int, Form()]) -> Response:
    if form.login.worker.role != "admin" and \
            form.case().assignee_id not in (None, form.worker_id):
        raise HTTPException(403, "only an admin or the current assignee can reassign a case")
    return form.apply(
        "assign", lambda: service.assign(form.db, form.case_id, caseworker_id, form.worker_id),
        f"to caseworker {caseworker_id}", updated={"claimed": True})


@pages.post("/cases/{case_id}/reply")
def reply(form: CaseFormDep, text: Annotated[str, Form(min_length=1, max_length=5000)],
          ) -> Response:
    return form.apply("reply", lambda: form.relay(form.runtime.reply, form.case_id,
                                                  form.worker_id, text))


@pages.post("/cases/{case_id}/ready-reply")
def ready_reply(form: CaseFormDep, key: Annotated[str, Form(max_length=64)]) -> Response:
    """One click: the ready reply `key` goes to the person in their language."""
    return form.apply("ready_reply", lambda: form.relay(form.runtime.ready_reply, form.case_id,
                                                        form.worker_id, key), key)


@pages.post("/cases/{case_id}/services")
def send_services(form: CaseFormDep, service_id: Annotated[int, Form()]) -> Response:
    cards = [s for s in suggested_services(form.db, form.case()) if s["id"] == service_id]
    return form.apply("send_service", lambda: form.relay(
        form.runtime.send_services, form.case_id, form.worker_id, cards),
        f"service {service_id}")


@pages.post("/cases/{case_id}/referrals")
def refer(form: CaseFormDep, service_name: Annotated[str, Form(min_length=1, max_length=300)],
          reason: Annotated[str, Form()], details: Annotated[str, Form()] = "",
          organisation: Annotated[str, Form()] = "",
          service_id: Annotated[int | None, Form()] = None) -> Response:
    return form.apply("referral", lambda: service.add_referral(
        form.db, form.case_id, service_name, reason, form.worker_id, service_id,
        organisation or None, details or None), service_name[:120])


@pages.post("/cases/{case_id}/notes")
def note(form: CaseFormDep, body: Annotated[str, Form(min_length=1, max_length=5000)],
         ) -> Response:
    return form.apply("note", lambda: service.add_note(form.db, form.case_id, body,
                                                       form.worker_id))


@pages.post("/cases/{case_id}/status")
def status(form: CaseFormDep, value: Annotated[str, Form()]) -> Response:
    return form.apply("status", lambda: service.change_status(form.db, form.case_id, value,
                                                              form.worker_id),
                      value, updated={"status": value})


@pages.post("/cases/{case_id}/handoff/end")
def end_handoff(form: CaseFormDep) -> Response:
    return form.apply("end_handoff", lambda: form.relay(form.runtime.end_handoff, form.case_id,
                                                        form.worker_id))


@pages.post("/cases/{case_id}/close")
def close(form: CaseFormDep, outcome: Annotated[str, Form()],
          reason: Annotated[str, Form(min_length=1, max_length=5000)]) -> Response:
    return form.apply("close", lambda: form.relay(form.runtime.close, form.case_id, outcome,
                                                  reason, form.worker_id),
                      outcome, to_queue=True)


@pages.post("/cases/{case_id}/legal-hold")
def legal_hold(form: CaseFormDep, on: Annotated[bool, Form()],
               reason: Annotated[str, Form(max_length=300)] = "") -> Response:
    """Retention never anonymises a case on legal hold (docs/privacy.md); admins only."""
    if form.login.worker.role != "admin":
        raise HTTPException(403, "only an admin can set or release a legal hold")
    return form.apply("legal_hold" if on else "legal_hold_released", lambda: service.set_legal_hold(
        form.db, form.case_id, on, reason, form.login.worker.username, form.worker_id))


router.include_router(pages)
router.include_router(password_router)
