"""Dashboard sessions (signed, expiring cookie), CSRF tokens and login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from cases.accounts import get_caseworker
from cases.models import Caseworker
from saphan.language import DEFAULT_LANGUAGE
from saphan.settings import Settings

SESSION_COOKIE = "saphan_session"
LOGIN_COOKIE = "saphan_login"  # CSRF token of the login form (before there is a session)
LOGIN_PATH = "/dashboard/login"


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=salt)


@dataclass(frozen=True)
class Login:
    """A caseworker's signed-in session (from the session cookie)."""

    worker: Caseworker
    csrf: str
    language: str


def new_session_cookie(settings: Settings, worker_id: int, language: str) -> str:
    data = {"uid": worker_id, "csrf": secrets.token_urlsafe(24), "lang": language}
    return _serializer(settings, "session").dumps(data)


def read_login(request: Request, db: Session, settings: Settings) -> Login | None:
    """The login of the session cookie, if it is validly signed, fresh and of an active account."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings, "session").loads(
            raw, max_age=settings.dashboard_session_max_age_s)
    except (SignatureExpired, BadSignature):
        return None
    worker = get_caseworker(db, int(data.get("uid", 0)))
    if worker is None or not worker.active:
        return None
    return Login(worker, str(data["csrf"]), str(data.get("lang", DEFAULT_LANGUAGE)))


def login_required(request: Request) -> HTTPException:
    """Pages redirect to the login form, other requests get 401."""
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return HTTPException(303, "login required", headers={"Location": LOGIN_PATH})
    return HTTPException(401, "login required")


def check_csrf(expected: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(403, "CSRF token missing or wrong; reload the page")


def login_csrf_cookie(settings: Settings) -> tuple[str, str]:
    """(token for the form, signed cookie value)."""
    token = secrets.token_urlsafe(24)
    return token, _serializer(settings, "login").dumps(token)


def check_login_csrf(request: Request, settings: Settings, given: str | None) -> None:
    try:
        token = _serializer(settings, "login").loads(request.cookies.get(LOGIN_COOKIE, ""),
                                                     max_age=3600)
    except (SignatureExpired, BadSignature):
        raise HTTPException(403, "CSRF token missing or expired; reload the page") from None
    check_csrf(str(token), given)


class LoginLimiter:
    """Failed logins per client address and per username in a sliding window."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, window: float, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] < now - window:
            times.popleft()
        return times

    def blocked(self, keys: list[str], settings: Settings) -> bool:
        now = time.monotonic()
        return any(len(self._recent(k, settings.login_window_s, now)) >= settings.login_max_failures
                   for k in keys)

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        for key in keys:
            self._failures[key].append(now)

    def clear(self, keys: list[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)


limiter = LoginLimiter()
