"""Route dependencies of the dashboard, in one place: the database session, settings and case
runtime from `app.state` (see `cases.deps`), the signed-in caseworker, the CSRF check, and
`CaseForm`, what every form post on a case shares (CSRF, the case, audit, redirect)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import from_thread
from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from cases import audit, service
from cases.deps import DbDep, RuntimeDep, SettingsDep
from cases.models import Case
from cases.runtime import CaseRuntime, RelayError
from dashboard.auth import Login, check_csrf, login_required, read_login
from dashboard.render import error_page
from saphan.http_types import RowId

__all__ = ["CaseFormDep", "CheckedCaseworker", "CurrentCaseworker", "DbDep", "RuntimeDep",
           "SettingsDep"]


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


def case_or_404(db: Session, case_id: int) -> Case:
    try:
        return service.get_case(db, case_id)
    except service.CaseNotFound:
        raise HTTPException(404, "no such case") from None


@dataclass
class CaseForm:
    """A checked form post on one case. `apply` runs the change, writes the audit entry in the
    same transaction and redirects; a refused change renders the error page instead."""

    request: Request
    db: Session
    login: Login
    case_id: int
    runtime: CaseRuntime

    @property
    def worker_id(self) -> int:
        return self.login.worker.id

    def case(self) -> Case:
        return case_or_404(self.db, self.case_id)

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
