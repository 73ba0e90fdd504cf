"""Admin pages (issue 17): agencies (`/dashboard/admin/agencies`, system admins) and the
accounts of an agency (`/dashboard/admin/accounts`: an agency admin its own agency's, a system
admin everyone's). Who may change which account is decided once, in `cases.accounts`
(`may_manage`); these routes only check the role to show a page at all (403 otherwise), carry
CSRF on every post and write the audit log. Bad input re-renders the form with the message
(422) and the values given; a one-time password is shown once, in the response to the post."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from agencies import store as agencies
from agencies.models import Agency
from agencies.store import AgencyError, AgencyIn
from agencies.vocab import AGENCY_KINDS
from cases import accounts, audit
from cases.vocab import ROLES
from content.catalogue import text
from dashboard.auth import Login
from dashboard.deps import CheckedCaseworker, CurrentCaseworker, DbDep
from dashboard.render import render

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)

AGENCIES_URL = "/dashboard/admin/agencies"
ACCOUNTS_URL = "/dashboard/admin/accounts"
Short = Annotated[str, Form(max_length=300)]
Name = Annotated[str, Form(max_length=200)]
Username = Annotated[str, Form(max_length=64)]
Secret = Annotated[str, Form(max_length=200)]


def _require(login: Login, roles: tuple[str, ...]) -> Login:
    if login.worker.role not in roles:
        raise HTTPException(403, "this page is for " + " or ".join(roles))
    return login


def _system_admin(login: CurrentCaseworker) -> Login:
    return _require(login, ("system_admin",))


def _checked_system_admin(login: CheckedCaseworker) -> Login:
    return _require(login, ("system_admin",))


def _account_admin(login: CurrentCaseworker) -> Login:
    return _require(login, accounts.ACCOUNT_ADMIN_ROLES)


def _checked_account_admin(login: CheckedCaseworker) -> Login:
    return _require(login, accounts.ACCOUNT_ADMIN_ROLES)


SystemAdmin = Annotated[Login, Depends(_system_admin)]
CheckedSystemAdmin = Annotated[Login, Depends(_checked_system_admin)]
AccountAdmin = Annotated[Login, Depends(_account_admin)]
CheckedAccountAdmin = Annotated[Login, Depends(_checked_account_admin)]


# --- agencies --------------------------------------------------------------------------------

def _agency_form(row: Agency | None) -> dict[str, Any]:
    """The edit form's values for an agency (empty for a new one)."""
    if row is None:
        return {"kind": "", "national": False}
    return {"code": row.code, "name_th": row.name_th, "name_en": row.name_en, "kind": row.kind,
            "provinces": ", ".join(row.provinces or []), "national": row.national,
            "handover_contact": row.handover_contact or "",
            "directory_services": ", ".join(row.directory_services or []),
            "source": row.source or "",
            "reviewed_on": row.reviewed_on.isoformat() if row.reviewed_on else ""}


def _agencies_page(request: Request, login: Login, db: Session, form: dict[str, Any] | None = None,
                   message: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "admin_agencies.html", login, login.language, status_code,
                  agencies=agencies.all_agencies(db, active_only=False), kinds=AGENCY_KINDS,
                  form=form or _agency_form(None), message=message)


def _agency_page(request: Request, login: Login, row: Agency, form: dict[str, Any] | None = None,
                 message: str | None = None, ok: bool = False,
                 status_code: int = 200) -> HTMLResponse:
    return render(request, "admin_agency.html", login, login.language, status_code,
                  agency=row, kinds=AGENCY_KINDS, form=form or _agency_form(row),
                  message=message, ok=ok)


def _agency_or_404(db: Session, code: str) -> Agency:
    row = agencies.find(db, code)
    if row is None:
        raise HTTPException(404, "no such agency")
    return row


def _form_params(new_code: Annotated[str, Form(max_length=40, alias="code")] = "",
                 name_th: Name = "", name_en: Name = "",
                 kind: Annotated[str, Form(max_length=32)] = "",
                 provinces: Annotated[str, Form(max_length=2000)] = "",
                 national: Annotated[bool, Form()] = False, handover_contact: Short = "",
                 directory_services: Annotated[str, Form(max_length=2000)] = "",
                 source: Short = "", reviewed_on: Annotated[str, Form(max_length=10)] = ""
                 ) -> dict[str, Any]:
    """The agency form's fields, as given (re-shown as they are when refused)."""
    return {"code": new_code, "name_th": name_th, "name_en": name_en, "kind": kind,
            "provinces": provinces, "national": national, "handover_contact": handover_contact,
            "directory_services": directory_services, "source": source,
            "reviewed_on": reviewed_on}


AgencyForm = Annotated[dict[str, Any], Depends(_form_params)]


@router.get("/admin/agencies", response_class=HTMLResponse)
def agencies_page(request: Request, login: SystemAdmin, db: DbDep) -> HTMLResponse:
    return _agencies_page(request, login, db)


@router.post("/admin/agencies", response_class=HTMLResponse)
def add_agency(request: Request, login: CheckedSystemAdmin, db: DbDep,
               form: AgencyForm) -> Response:
    try:
        row = agencies.add(db, AgencyIn.from_mapping(form, "agency"))
    except AgencyError as exc:
        db.rollback()
        return _agencies_page(request, login, db, form, str(exc), 422)
    audit.record(db, login.worker.username, "agency_added", detail=row.code)
    return RedirectResponse(AGENCIES_URL, status_code=303)


@router.get("/admin/agencies/{code}", response_class=HTMLResponse)
def agency_page(request: Request, login: SystemAdmin, db: DbDep, code: str) -> HTMLResponse:
    return _agency_page(request, login, _agency_or_404(db, code))


@router.post("/admin/agencies/{code}", response_class=HTMLResponse)
def edit_agency(request: Request, login: CheckedSystemAdmin, db: DbDep, code: str,
                form: AgencyForm) -> Response:
    row = _agency_or_404(db, code)
    try:
        data = AgencyIn.from_mapping({**form, "example": row.example}, "agency")
        row = agencies.update(db, row.code, data)
    except AgencyError as exc:
        db.rollback()
        return _agency_page(request, login, _agency_or_404(db, code), form, str(exc),
                            status_code=422)
    audit.record(db, login.worker.username, "agency_changed", detail=row.code)
    return RedirectResponse(f"{AGENCIES_URL}/{row.code}", status_code=303)


@router.post("/admin/agencies/{code}/active", response_class=HTMLResponse)
def set_agency_active(request: Request, login: CheckedSystemAdmin, db: DbDep, code: str,
                      active: Annotated[bool, Form()]) -> Response:
    row = _agency_or_404(db, code)
    try:
        agencies.set_active(db, row.code, active)
    except AgencyError as exc:
        db.rollback()
        return _agency_page(request, login, _agency_or_404(db, code), message=str(exc),
                            status_code=422)
    audit.record(db, login.worker.username,
                 "agency_activated" if active else "agency_deactivated", detail=row.code)
    return RedirectResponse(AGENCIES_URL, status_code=303)


# --- accounts --------------------------------------------------------------------------------

def _grantable_roles(actor: Login) -> list[str]:
    return [r for r in ROLES if r != "system_admin" or actor.worker.role == "system_admin"]


def _scope(db: Session, login: Login, code: str) -> Agency | None:
    """The agency whose accounts the page shows: an agency admin's own, always; a system
    admin's choice (None: every agency)."""
    if login.worker.role != "system_admin":
        return agencies.get(db, login.worker.agency_id) if login.worker.agency_id else None
    return agencies.find(db, code) if code else None


def _accounts_page(request: Request, login: Login, db: Session, code: str = "",
                   message: str | None = None, ok: bool = False,
                   one_time: tuple[str, str] | None = None, form: dict[str, str] | None = None,
                   status_code: int = 200) -> HTMLResponse:
    scope = _scope(db, login, code)
    if login.worker.role != "system_admin" and scope is None:
        raise HTTPException(403, "your account has no agency")
    every = agencies.all_agencies(db, active_only=False)
    return render(request, "admin_accounts.html", login, login.language, status_code,
                  scope=scope, system=login.worker.role == "system_admin",
                  accounts=accounts.accounts_of(db, scope.id if scope else None),
                  agencies_by_id={a.id: a for a in every},
                  agency_choices=[a for a in every if a.active],
                  roles=_grantable_roles(login), message=message, ok=ok, one_time=one_time,
                  form=form or {"role": "caseworker", "agency": scope.code if scope else ""})


def _one_time_password(username: str) -> str:
    """A random password that follows the one rule of `cases.accounts`."""
    while True:
        password = secrets.token_urlsafe(12)
        if accounts.password_problem(password, username) is None:
            return password


def _refused(request: Request, login: Login, db: Session, exc: accounts.AccountError,
             form: dict[str, str] | None = None) -> HTMLResponse:
    db.rollback()
    status = 403 if isinstance(exc, accounts.NotPermitted) else 422
    return _accounts_page(request, login, db, message=str(exc), form=form, status_code=status)


@router.get("/admin/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, login: AccountAdmin, db: DbDep,
                  agency: Annotated[str, Query(max_length=40)] = "") -> HTMLResponse:
    return _accounts_page(request, login, db, agency)


@router.post("/admin/accounts", response_class=HTMLResponse)
def add_account(request: Request, login: CheckedAccountAdmin, db: DbDep, username: Username,
                role: Annotated[str, Form(max_length=16)], display_name: Name = "",
                agency: Annotated[str, Form(max_length=40)] = "",
                password: Secret = "") -> HTMLResponse:
    form = {"username": username, "display_name": display_name, "role": role, "agency": agency}
    generated = not password
    password = password or _one_time_password(username)
    try:
        agency_id = None
        if agency and login.worker.role == "system_admin":
            agency_id = agencies.by_code(db, agency).id
        row = accounts.add_managed(db, login.worker, username, password, role,
                                   display_name or None, agency_id)
    except AgencyError as exc:
        return _refused(request, login, db, accounts.AccountError(f"agency: {exc}"), form)
    except accounts.AccountError as exc:
        return _refused(request, login, db, exc, form)
    lang = login.language
    return _accounts_page(
        request, login, db, agency, ok=True,
        message=text("dashboard_admin", "admin_account_added", lang, username=row.username),
        one_time=(row.username, password) if generated else None)


@router.post("/admin/accounts/{username}/role", response_class=HTMLResponse)
def change_role(request: Request, login: CheckedAccountAdmin, db: DbDep, username: str,
                role: Annotated[str, Form(max_length=16)]) -> Response:
    try:
        accounts.change_role(db, login.worker, username, role)
    except accounts.AccountError as exc:
        return _refused(request, login, db, exc)
    return RedirectResponse(ACCOUNTS_URL, status_code=303)


@router.post("/admin/accounts/{username}/active", response_class=HTMLResponse)
def set_account_active(request: Request, login: CheckedAccountAdmin, db: DbDep, username: str,
                       active: Annotated[bool, Form()]) -> Response:
    try:
        accounts.set_active_managed(db, login.worker, username, active)
    except accounts.AccountError as exc:
        return _refused(request, login, db, exc)
    return RedirectResponse(ACCOUNTS_URL, status_code=303)


@router.post("/admin/accounts/{username}/password", response_class=HTMLResponse)
def reset_password(request: Request, login: CheckedAccountAdmin, db: DbDep, username: str,
                   password: Secret = "") -> HTMLResponse:
    generated = not password
    password = password or _one_time_password(username)
    try:
        accounts.reset_password_managed(db, login.worker, username, password)
    except accounts.AccountError as exc:
        return _refused(request, login, db, exc)
    name = username.strip().lower()
    return _accounts_page(
        request, login, db, ok=True,
        message=text("dashboard_admin", "admin_password_set", login.language, username=name),
        one_time=(name, password) if generated else None)
