"""The caseworker dashboard (`/dashboard`): server-rendered pages, forms with CSRF tokens,
a live queue over server-sent events. Every route except the login form needs a session;
viewing and changing a case is written to the audit log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from cases import audit, service
from cases import runtime as case_runtime
from cases.accounts import active_caseworkers, authenticate
from cases.api import router as internal_router
from cases.export import cases_csv
from cases.live import sse
from cases.runtime import CaseRuntime, RelayError
from cases.vocab import CLOSED_STATUSES, OPEN_STATUSES, REFERRAL_REASONS
from dashboard.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Session,
    check_csrf,
    check_login_csrf,
    limiter,
    login_csrf_cookie,
    new_session_cookie,
    require_session,
)
from dashboard.i18n import DEFAULT_UI_LANGUAGE, UI_LANGUAGES, strings
from dashboard.services import suggested_services
from saphan.http_types import RowId
from saphan.settings import get_settings

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
KEEPALIVE_S = 15.0
# Streams end after this long and the browser reconnects (a page refreshes on reconnect), so
# open dashboards never hold up a gateway shutdown for longer.
STREAM_MAX_S = 30.0


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    runtime = CaseRuntime(get_settings())
    case_runtime.set_current(runtime)
    runtime.start()
    try:
        yield
    finally:
        case_runtime.set_current(None)
        await runtime.stop()


router = APIRouter(lifespan=lifespan)
router.include_router(internal_router)
pages = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
SessionDep = Annotated[Session, Depends(require_session)]


def _runtime() -> CaseRuntime:
    current = case_runtime.current()
    if current is None:
        raise HTTPException(503, "case runtime is not running")
    return current


def _render(request: Request, template: str, session: Session | None, language: str,
            status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, {
        "t": strings(language), "lang": language, "session": session, **context,
    }, status_code=status_code)


def _back(case_id: int | None = None) -> RedirectResponse:
    url = f"/dashboard/cases/{case_id}" if case_id else "/dashboard"
    return RedirectResponse(url, status_code=303)


def _error(request: Request, session: Session, exc: Exception) -> HTMLResponse:
    return _render(request, "error.html", session, session.language, 422, message=str(exc))


# -- login -----------------------------------------------------------------------------------
@pages.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, lang: str = DEFAULT_UI_LANGUAGE) -> HTMLResponse:
    return _login_form(request, lang if lang in UI_LANGUAGES else DEFAULT_UI_LANGUAGE, None)


def _login_form(request: Request, lang: str, message: str | None,
                status_code: int = 200) -> HTMLResponse:
    token, cookie = login_csrf_cookie(get_settings())
    response = _render(request, "login.html", None, lang, status_code, csrf=token,
                       message=message)
    response.set_cookie(LOGIN_COOKIE, cookie, httponly=True, samesite="strict",
                        path="/dashboard", secure=request.url.scheme == "https")
    return response


@pages.post("/login")
async def login(request: Request, username: Annotated[str, Form(max_length=64)],
                password: Annotated[str, Form(max_length=200)],
                csrf: Annotated[str, Form()] = "", lang: Annotated[str, Form()] = "th") -> Response:
    check_login_csrf(request, csrf)
    settings = get_settings()
    lang = lang if lang in UI_LANGUAGES else DEFAULT_UI_LANGUAGE
    client = request.client.host if request.client else "unknown"
    keys = [f"ip:{client}", f"user:{username.strip().lower()}"]
    if limiter.blocked(keys, settings):
        return _login_form(request, lang, strings(lang)["login_limited"], 429)
    worker = await asyncio.to_thread(authenticate, username, password)
    if worker is None:
        limiter.failed(keys)
        await asyncio.to_thread(audit.record, username.strip().lower()[:64], "login_failed")
        return _login_form(request, lang, strings(lang)["login_failed"], 401)
    limiter.clear(keys[1:])
    await asyncio.to_thread(audit.record, worker.username, "login")
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(SESSION_COOKIE, new_session_cookie(settings, worker.id, lang),
                        max_age=settings.dashboard_session_max_age_s, httponly=True,
                        samesite="lax", path="/", secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_COOKIE, path="/dashboard")
    return response


@pages.post("/logout")
async def logout(session: SessionDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    await asyncio.to_thread(audit.record, session.worker.username, "logout")
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.post("/language")
async def switch_language(request: Request, session: SessionDep,
                          csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    settings = get_settings()
    lang = "en" if session.language == "th" else "th"
    back = urlsplit(request.headers.get("referer") or "").path
    response = RedirectResponse(back if back.startswith("/dashboard") else "/dashboard",
                                status_code=303)
    response.set_cookie(SESSION_COOKIE, new_session_cookie(settings, session.worker.id, lang),
                        max_age=settings.dashboard_session_max_age_s, httponly=True,
                        samesite="lax", path="/", secure=request.url.scheme == "https")
    return response


# -- queue -----------------------------------------------------------------------------------
async def _queue_context() -> dict[str, Any]:
    cases = await asyncio.to_thread(service.queue)
    workers = {w.id: w.display_name for w in await asyncio.to_thread(active_caseworkers)}
    return {"cases": cases, "workers": workers}


@pages.get("", response_class=HTMLResponse)
async def queue_page(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, "queue.html", session, session.language, **await _queue_context())


@pages.get("/queue/rows", response_class=HTMLResponse)
async def queue_rows(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, "_queue_rows.html", session, session.language,
                   **await _queue_context())


@pages.get("/events")
async def events(request: Request, session: SessionDep) -> StreamingResponse:
    """Server-sent events: case_created, case_updated, case_renotified, message."""
    live = _runtime().live
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
async def export(session: SessionDep) -> Response:
    body = await asyncio.to_thread(cases_csv)
    await asyncio.to_thread(audit.record, session.worker.username, "export")
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="saphan-cases.csv"'})


# -- one case --------------------------------------------------------------------------------
def _case_or_404(case_id: int) -> Any:
    try:
        return service.get_case(case_id)
    except service.CaseNotFound:
        raise HTTPException(404, "no such case") from None


@pages.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, case_id: RowId, session: SessionDep) -> HTMLResponse:
    case = await asyncio.to_thread(_case_or_404, case_id)
    await asyncio.to_thread(audit.record, session.worker.username, "view", case_id)
    workers = await asyncio.to_thread(active_caseworkers)
    context = {
        "case": case,
        "messages": await asyncio.to_thread(service.transcript, case_id),
        "notes": await asyncio.to_thread(service.notes, case_id),
        "events": await asyncio.to_thread(service.events, case_id),
        "referrals": await asyncio.to_thread(service.referrals, case_id),
        "services": await asyncio.to_thread(suggested_services, case),
        "screening": json.loads(case.screening) if case.screening else None,
        "workers": workers, "names": {w.id: w.display_name for w in workers},
        "open_statuses": OPEN_STATUSES, "closed_statuses": CLOSED_STATUSES,
        "referral_reasons": REFERRAL_REASONS,
    }
    return _render(request, "case.html", session, session.language, **context)


@pages.get("/cases/{case_id}/transcript", response_class=HTMLResponse)
async def transcript(request: Request, case_id: RowId, session: SessionDep) -> HTMLResponse:
    await asyncio.to_thread(_case_or_404, case_id)
    messages = await asyncio.to_thread(service.transcript, case_id)
    return _render(request, "_transcript.html", session, session.language, messages=messages)


async def _change(session: Session, case_id: int, action: str, detail: str | None = None) -> None:
    await asyncio.to_thread(audit.record, session.worker.username, action, case_id, detail)


@pages.post("/cases/{case_id}/claim")
async def claim(request: Request, case_id: RowId, session: SessionDep,
                csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        case = await asyncio.to_thread(service.claim, case_id, session.worker.id)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "claim")
    _runtime().live.publish("case_updated", case={"id": case.id, "claimed": True})
    return _back(case_id)


@pages.post("/cases/{case_id}/assign")
async def assign(request: Request, case_id: RowId, session: SessionDep,
                 caseworker_id: Annotated[int, Form()],
                 csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    case = await asyncio.to_thread(_case_or_404, case_id)
    if session.worker.role != "admin" and case.assignee_id not in (None, session.worker.id):
        raise HTTPException(403, "only an admin or the current assignee can reassign a case")
    try:
        await asyncio.to_thread(service.assign, case_id, caseworker_id, session.worker.id)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "assign", f"to caseworker {caseworker_id}")
    _runtime().live.publish("case_updated", case={"id": case_id, "claimed": True})
    return _back(case_id)


@pages.post("/cases/{case_id}/reply")
async def reply(request: Request, case_id: RowId, session: SessionDep,
                text: Annotated[str, Form(min_length=1, max_length=5000)],
                csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        await _runtime().reply(case_id, session.worker.id, text)
    except (service.CaseError, RelayError) as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "reply")
    return _back(case_id)


@pages.post("/cases/{case_id}/services")
async def send_services(request: Request, case_id: RowId, session: SessionDep,
                        service_id: Annotated[int, Form()],
                        csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    case = await asyncio.to_thread(_case_or_404, case_id)
    cards = [s for s in await asyncio.to_thread(suggested_services, case)
             if s["id"] == service_id]
    try:
        await _runtime().send_services(case_id, session.worker.id, cards)
    except (service.CaseError, RelayError) as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "send_service", f"service {service_id}")
    return _back(case_id)


@pages.post("/cases/{case_id}/referrals")
async def refer(request: Request, case_id: RowId, session: SessionDep,
                service_name: Annotated[str, Form(min_length=1, max_length=300)],
                reason: Annotated[str, Form()], details: Annotated[str, Form()] = "",
                organisation: Annotated[str, Form()] = "",
                service_id: Annotated[int | None, Form()] = None,
                csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        await asyncio.to_thread(service.add_referral, case_id, service_name, reason,
                                session.worker.id, service_id, organisation or None,
                                details or None)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "referral", service_name[:120])
    return _back(case_id)


@pages.post("/cases/{case_id}/notes")
async def note(request: Request, case_id: RowId, session: SessionDep,
               body: Annotated[str, Form(min_length=1, max_length=5000)],
               csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        await asyncio.to_thread(service.add_note, case_id, body, session.worker.id)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "note")
    return _back(case_id)


@pages.post("/cases/{case_id}/status")
async def status(request: Request, case_id: RowId, session: SessionDep,
                 value: Annotated[str, Form()], csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        await asyncio.to_thread(service.change_status, case_id, value, session.worker.id)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "status", value)
    _runtime().live.publish("case_updated", case={"id": case_id, "status": value})
    return _back(case_id)


@pages.post("/cases/{case_id}/handoff/end")
async def end_handoff(request: Request, case_id: RowId, session: SessionDep,
                      csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        await _runtime().end_handoff(case_id, session.worker.id)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "end_handoff")
    return _back(case_id)


@pages.post("/cases/{case_id}/close")
async def close(request: Request, case_id: RowId, session: SessionDep,
                outcome: Annotated[str, Form()],
                reason: Annotated[str, Form(min_length=1, max_length=5000)],
                csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(session.csrf, csrf)
    try:
        await _runtime().close(case_id, outcome, reason, session.worker.id)
    except service.CaseError as exc:
        return _error(request, session, exc)
    await _change(session, case_id, "close", outcome)
    return _back()


router.include_router(pages)
