"""Dashboard logins: the session cookie (a random id of a server-side session, see
`cases.sessions`), CSRF tokens tied to the session, and the throttle key of a login attempt."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from cases import login_throttle, sessions
from cases.models import Caseworker
from saphan.client_address import client_address
from saphan.settings import Settings

SESSION_COOKIE = "saphan_session"
LOGIN_COOKIE = "saphan_login"  # CSRF token of the login form (before there is a session)
LOGIN_PATH = "/dashboard/login"


@dataclass(frozen=True)
class Login:
    """A caseworker's live session: the account, the session's CSRF token, its language and the
    cookie's session id (to end or keep this session)."""

    worker: Caseworker
    csrf: str
    language: str
    token: str


def _key(settings: Settings) -> bytes:
    return settings.session_key.get_secret_value().encode()


def _csrf_of(settings: Settings, token: str) -> str:
    """The session's CSRF token: derived from its id, so it changes with every login."""
    return hmac.new(_key(settings), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def read_login(request: Request, db: Session, settings: Settings) -> Login | None:
    """The login of the session cookie if its session is live and its account active."""
    token = request.cookies.get(SESSION_COOKIE, "")
    found = sessions.current(db, token, settings.dashboard_session_idle_s)
    if found is None:
        return None
    row, worker = found
    return Login(worker, _csrf_of(settings, token), row.language, token)


def start_login(request: Request, response: Response, db: Session, settings: Settings,
                worker: Caseworker, language: str) -> None:
    """A new session with a new id (any session this browser had ends), set as the cookie."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        sessions.revoke(db, old)
    token = sessions.start(db, worker.id, language, settings.dashboard_session_max_age_s)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.dashboard_session_max_age_s,
                        httponly=True, samesite="lax", path="/",
                        secure=secure_cookies(request, settings))


def end_login(response: Response, db: Session, login: Login) -> None:
    sessions.revoke(db, login.token)
    response.delete_cookie(SESSION_COOKIE, path="/")


def secure_cookies(request: Request, settings: Settings) -> bool:
    """`Secure` always in production (TLS ends at the proxy, so the app may see http)."""
    return settings.production or request.url.scheme == "https"


def throttle_key(request: Request, settings: Settings, username: str) -> str:
    """The login-throttle key of (this account name, this client's address)."""
    address = client_address(request, settings.trusted_proxies)
    return login_throttle.pair_key(settings.session_key.get_secret_value(), username, address)


def login_required(request: Request) -> HTTPException:
    """Pages redirect to the login form, other requests get 401."""
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return HTTPException(303, "login required", headers={"Location": LOGIN_PATH})
    return HTTPException(401, "login required")


def check_csrf(expected: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(403, "CSRF token missing or wrong; reload the page")


def _login_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.session_key.get_secret_value(), salt="login")


def login_csrf_cookie(settings: Settings) -> tuple[str, str]:
    """(token for the login form, signed cookie value)."""
    token = secrets.token_urlsafe(24)
    return token, _login_serializer(settings).dumps(token)


def check_login_csrf(request: Request, settings: Settings, given: str | None) -> None:
    try:
        token = _login_serializer(settings).loads(request.cookies.get(LOGIN_COOKIE, ""),
                                                  max_age=3600)
    except (SignatureExpired, BadSignature):
        raise HTTPException(403, "CSRF token missing or expired; reload the page") from None
    check_csrf(str(token), given)
