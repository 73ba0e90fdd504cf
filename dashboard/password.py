"""The caseworker's own password change (`/dashboard/password`): the current password, the
new one twice under the one rule of `cases.accounts`; every other session of the account ends.
Wrong current passwords are throttled like logins (same account + client pair)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from cases import accounts, audit, login_throttle
from content.catalogue import text
from dashboard.auth import Login, throttle_key
from dashboard.deps import CheckedCaseworker, CurrentCaseworker, DbDep, SettingsDep
from dashboard.render import render

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)

Password = Annotated[str, Form(max_length=200)]


def _rule(language: str) -> str:
    return text("dashboard", "password_rule", language, min=accounts.MIN_PASSWORD,
                distinct=accounts.MIN_DISTINCT)


def _page(request: Request, login: Login, message: str | None = None, ok: bool = False,
          status_code: int = 200) -> HTMLResponse:
    return render(request, "password.html", login, login.language, status_code,
                  rule=_rule(login.language),
                  min_length=accounts.MIN_PASSWORD, message=message, ok=ok)


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, login: CurrentCaseworker) -> HTMLResponse:
    return _page(request, login)


@router.post("/password", response_class=HTMLResponse)
def change_password(request: Request, login: CheckedCaseworker, db: DbDep,
                    settings: SettingsDep, current: Password, new: Password,
                    again: Password) -> HTMLResponse:
    lang = login.language
    if new != again:
        return _page(request, login, text("dashboard", "password_mismatch", lang),
                     status_code=422)
    if accounts.password_problem(new, login.worker.username):
        return _page(request, login, _rule(lang), status_code=422)
    key = throttle_key(request, settings, login.worker.username)
    wait = login_throttle.attempt(db, key, settings.login_delay_max_s)
    if wait > 0:
        seconds = math.ceil(wait)
        page = _page(request, login, text("dashboard", "login_wait", lang, seconds=seconds),
                     status_code=429)
        page.headers["Retry-After"] = str(seconds)
        return page
    try:
        accounts.change_password(db, login.worker, current, new, login.token)
    except accounts.WrongPassword:  # counted by the throttle like a failed login
        audit.record(db, login.worker.username, "password_change_failed")
        return _page(request, login, text("dashboard", "password_wrong", lang), status_code=403)
    login_throttle.succeeded(db, key)
    return _page(request, login, text("dashboard", "password_changed", lang), ok=True)
