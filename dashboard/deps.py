"""Route dependencies of the dashboard, in one place: the database session, settings and case
runtime from `app.state` (see `cases.deps`), the signed-in caseworker, the CSRF check, and
case-level access (`cases.access`): `CaseViewDep` for every GET of a case and `CaseForm`,
what every form post on a case shares (CSRF, access, audit, redirect). Every route with
`{case_id}` takes one of the two, so a case of an agency the account is not on is 404
everywhere and a refused item or change is 403 (tests/dashboard/test_dashboard_access.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from anyio import from_thread
from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cases import audit, service
from cases.access import CaseView, Refused, case_view
from cases.deps import DbDep, RuntimeDep, SettingsDep
from cases.models import Case, Caseworker
from cases.runtime import CaseRuntime, RelayError
from dashboard.auth import Login, check_csrf, login_required, read_login
from dashboard.render import error_page, interface_texts, render
from saphan.db import session_scope
from saphan.http_types import RowId

__all__ = ["CaseFormDep", "CaseRefused", "CaseViewDep", "CheckedCaseworker", "CurrentCaseworker",
           "DbDep", "RuntimeDep", "SettingsDep", "refused", "refused_page"]


def current_login(request: Request, db: DbDep, settings: SettingsDep) -> Login:
    """Every route except the login form: a valid session or 303 to the login form / 401."""
    login = read_login(request, db, settings)
    if login is None:
        raise login_required(request)
    return login


CurrentCaseworker = Annotated[Login, Depends(current_login)]


def checked_login(login: CurrentCaseworker, csrf: Annotated[str, Form()] = "") -> Login:
    """A form post: signed in and carrying the session's CSRF token (else 403)."""
    check_csrf(login.csrf, csrf)
    return login


CheckedCaseworker = Annotated[Login, Depends(checked_login)]


class CaseRefused(HTTPException):
    """A 404 (not on the case) or 403 (not shared, not yours) of case-level access, with the
    login so that `refused_page` can answer with the dashboard's error page."""

    def __init__(self, status_code: int, detail: str, login: Login, reason: str = "not_found",
                 item: str | None = None) -> None:
        super().__init__(status_code, detail)
        self.login = login
        self.reason = reason  # a `refused_<reason>` text of the catalogue
        self.item = item
        # The request's session is closed when the handler runs: keep the id to load again.
        self.worker_id = login.worker.id


def refused_page(request: Request, exc: Exception) -> Response:
    """The error page for `CaseRefused` (`gateway.app` registers it as exception handler;
    without it the refusal is FastAPI's JSON with the same status and message). The account
    is read again in a session of its own: the route's session is closed by now."""
    assert isinstance(exc, CaseRefused)
    with session_scope() as session:
        worker = session.get(Caseworker, exc.worker_id)
        if worker is None:
            raise HTTPException(exc.status_code, exc.detail)
        login = replace(exc.login, worker=worker)
        t = interface_texts(login.language)
        item = t.get(f"ref_share_{exc.item}", exc.item or "")
        message = t[f"refused_{exc.reason}"].replace("{item}", item)
        return render(request, "error.html", login, login.language, exc.status_code,
                      message=message)


def refused(exc: Refused, login: Login) -> CaseRefused:
    """403 with the reason (the account is on the case, but not for this)."""
    return CaseRefused(403, str(exc), login, exc.reason, exc.item)


def view_or_404(db: Session, login: Login, case_id: int) -> CaseView:
    """The login's view of the case; 404 when the case does not exist or its agency is not
    on it (the same answer, so the case's existence is not revealed)."""
    try:
        return case_view(db, login.worker, case_id)
    except service.CaseNotFound:
        raise CaseRefused(404, "no such case", login) from None


def case_view_dep(case_id: RowId, login: CurrentCaseworker, db: DbDep) -> CaseView:
    return view_or_404(db, login, case_id)


CaseViewDep = Annotated[CaseView, Depends(case_view_dep)]


@dataclass
class CaseForm:
    """A checked form post on one case. `apply` runs the change, writes the audit entry in the
    same transaction and redirects; a refused change renders the error page instead."""

    request: Request
    db: Session
    login: Login
    case_id: int
    runtime: CaseRuntime
    view: CaseView = field(init=False)

    def __post_init__(self) -> None:
        """Every post on a case is a change: 404 off the case, 403 when it is not the login's
        to change (`CaseView.require_change`)."""
        self.view = view_or_404(self.db, self.login, self.case_id)
        self.check(self.view.require_change)

    @property
    def worker_id(self) -> int:
        return self.login.worker.id

    def case(self) -> Case:
        return self.view.case

    def check(self, rule: Callable[..., None], *args: Any) -> None:
        """Apply one of the view's rules (`require`, `require_owner`...): 403 if refused."""
        try:
            rule(*args)
        except Refused as exc:
            raise refused(exc, self.login) from None

    def need(self, item: str) -> None:
        """403 unless the case's `item` (a share) was shared with the login's agency."""
        self.check(self.view.require, item)

    def owner_only(self) -> None:
        """403 unless the login's agency owns the case."""
        self.check(self.view.require_owner)

    def relay(self, step: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run one of the runtime's steps (which talk to LINE) on the event loop."""
        return from_thread.run(step, *args)

    def apply(self, action: str, change: Callable[[], Any], detail: str | None = None,
              updated: dict[str, Any] | None = None, to_queue: bool = False) -> Response:
        try:
            change()
        except (service.CaseError, RelayError) as exc:
            self.db.rollback()
            return error_page(self.request, self.login, exc)
        audit.record(self.db, self.login.worker.username, action, self.case_id, detail)
        self.db.commit()  # before live dashboards are told and before the redirect
        if updated is not None:
            self.runtime.live.publish("case_updated", case={"id": self.case_id, **updated})
        url = "/dashboard" if to_queue else f"/dashboard/cases/{self.case_id}"
        return RedirectResponse(url, status_code=303)


def case_form(request: Request, case_id: RowId, db: DbDep, login: CheckedCaseworker,
              runtime: RuntimeDep) -> CaseForm:
    return CaseForm(request, db, login, case_id, runtime)


CaseFormDep = Annotated[CaseForm, Depends(case_form)]
