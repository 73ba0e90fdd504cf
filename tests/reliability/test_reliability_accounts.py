"""Accounts and sessions as an attacker and an operator would try them, over real HTTP on both
databases: logout, idle and absolute timeouts and deactivation end a session on the server;
the session id changes at login; a password change ends the other sessions; failed logins
delay only their own (account, client) pair, so guessing the on-duty account's password from
elsewhere never keeps the duty officer out; `Secure` cookies in production."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from log_capture import LogLines
from sqlalchemy import select, update
from starlette.requests import Request
from typer.testing import CliRunner

from cases import login_throttle, sessions
from cases.accounts import add_caseworker
from cases.models import CaseworkerSession, LoginThrottle
from cli.main import app as cli
from cli.models import load_all
from dashboard.auth import SESSION_COOKIE
from saphan.client_address import client_address
from saphan.db import in_session, make_engine, reset_caches, session_scope, utcnow
from saphan.settings import get_settings
from testsupport.cases import Gateway, running_gateway

PASSWORD = "correct horse battery staple"
DUTY = {"X-Forwarded-For": "203.0.113.10"}  # the duty officer's browser, behind the proxy
ATTACKER = {"X-Forwarded-For": "198.51.100.7"}
TABLES = {"caseworker_sessions", "login_throttle", "caseworkers"}


@pytest.fixture
def gateway(app_env: str, log_lines: LogLines, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[Gateway]:
    """The gateway behind a trusted reverse proxy (this host), as in production."""
    reset_caches()
    with running_gateway(monkeypatch, TRUSTED_PROXIES="127.0.0.1/32") as gw:
        yield gw


@pytest.fixture
def alice(app_env: str) -> int:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice").id


def client(gateway: Gateway, headers: dict[str, str] | None = None) -> httpx.Client:
    return gateway.client(headers=headers or {})


def try_login(browser: httpx.Client, username: str, password: str) -> httpx.Response:
    page = browser.get("/dashboard/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    return browser.post("/dashboard/login", data={"username": username, "password": password,
                                                  "csrf": token})


def logged_in(gateway: Gateway, username: str = "alice", password: str = PASSWORD,
              headers: dict[str, str] | None = None) -> httpx.Client:
    browser = client(gateway, headers)
    response = try_login(browser, username, password)
    assert response.status_code == 303, response.text
    return browser


def csrf(browser: httpx.Client) -> str:
    page = browser.get("/dashboard")
    assert page.status_code == 200
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def works(cookie: str, gateway: Gateway) -> bool:
    """Does this session cookie open the queue (from a browser that has nothing else)?"""
    with httpx.Client(base_url=gateway.url, timeout=10) as fresh:
        response = fresh.get("/dashboard", cookies={SESSION_COOKIE: cookie})
    assert response.status_code in (200, 401), response.status_code
    return response.status_code == 200


def session_rows() -> list[CaseworkerSession]:
    with session_scope() as session:
        return list(session.scalars(select(CaseworkerSession).order_by(CaseworkerSession.id)))


def test_logout_revokes_the_session_on_the_server(gateway: Gateway, alice: int) -> None:
    browser = logged_in(gateway)
    cookie = browser.cookies[SESSION_COOKIE]
    assert works(cookie, gateway)
    assert browser.post("/dashboard/logout", data={"csrf": csrf(browser)}).status_code == 303
    assert not works(cookie, gateway)  # a copied cookie is dead too, not only the browser's
    [row] = session_rows()
    assert row.revoked_at is not None and row.token_hash != cookie and cookie not in repr(
        [(r.token_hash, r.language) for r in session_rows()])


def test_the_session_id_changes_at_login(gateway: Gateway, alice: int) -> None:
    browser = client(gateway)
    browser.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", domain="127.0.0.1")
    assert try_login(browser, "alice", PASSWORD).status_code == 303
    first = browser.cookies[SESSION_COOKIE]
    assert first != "planted-by-an-attacker" and works(first, gateway)
    assert try_login(browser, "alice", PASSWORD).status_code == 303
    second = browser.cookies[SESSION_COOKIE]
    assert second != first and works(second, gateway)
    assert not works(first, gateway)  # the browser's old session ended at the new login


def test_idle_and_absolute_timeouts_end_a_session(gateway: Gateway, alice: int) -> None:
    settings = get_settings()
    idle = timedelta(seconds=settings.dashboard_session_idle_s)
    busy, idler = logged_in(gateway), logged_in(gateway)
    busy_row, idle_row = session_rows()
    # Move the clock: the busy session's last request was just under the idle limit ago, the
    # other's just over.
    with session_scope() as session:
        for row_id, seen in ((busy_row.id, idle - timedelta(seconds=5)),
                             (idle_row.id, idle + timedelta(seconds=1))):
            session.execute(update(CaseworkerSession).where(CaseworkerSession.id == row_id)
                            .values(last_seen_at=utcnow() - seen))
    assert idler.get("/dashboard").status_code == 401
    assert busy.get("/dashboard").status_code == 200
    [refreshed] = [r for r in session_rows() if r.id == busy_row.id]
    assert utcnow() - refreshed.last_seen_at < timedelta(seconds=30)  # the request counted
    # Absolute: however busy, a session ends `dashboard_session_max_age_s` after login.
    lifetime = refreshed.expires_at - refreshed.created_at
    assert lifetime == timedelta(seconds=settings.dashboard_session_max_age_s)
    with session_scope() as session:
        session.execute(update(CaseworkerSession).where(CaseworkerSession.id == busy_row.id)
                        .values(created_at=utcnow() - lifetime, expires_at=utcnow()))
    assert busy.get("/dashboard").status_code == 401
    cookie = busy.cookies[SESSION_COOKIE]
    assert busy.get("/dashboard", headers={"Accept": "text/html"}).headers["location"] \
        == "/dashboard/login" and not works(cookie, gateway)


def test_a_deactivated_account_cannot_log_in_and_is_logged_out(
        gateway: Gateway, alice: int) -> None:
    phone, desk = logged_in(gateway), logged_in(gateway, headers=DUTY)
    runner = CliRunner()
    listed = runner.invoke(cli, ["caseworker", "list"])
    assert listed.exit_code == 0 and "alice" in listed.output and "active" in listed.output
    done = runner.invoke(cli, ["caseworker", "deactivate", "alice"])
    assert done.exit_code == 0 and "2 session(s) ended" in done.output, done.output
    assert phone.get("/dashboard").status_code == 401 and desk.get("/dashboard").status_code == 401
    assert try_login(client(gateway), "alice", PASSWORD).status_code == 401
    listed = runner.invoke(cli, ["caseworker", "list"])
    [line] = [line for line in listed.output.splitlines() if line.startswith("alice")]
    assert line.split()[2:5] == ["default", "deactivated", "0"]
    assert runner.invoke(cli, ["caseworker", "deactivate", "nobody"]).exit_code == 1
    assert runner.invoke(cli, ["caseworker", "activate", "alice"]).exit_code == 0
    logged_in(gateway, headers=ATTACKER)  # a new address: no delay left from the refused login


def test_a_password_change_ends_every_other_session(gateway: Gateway, alice: int) -> None:
    desk, phone = logged_in(gateway, headers=DUTY), logged_in(gateway)
    token = csrf(desk)
    page = desk.get("/dashboard/password")
    assert page.status_code == 200 and "10" in page.text  # the rule is stated on the page

    def change(current: str, new: str, again: str | None = None) -> httpx.Response:
        return desk.post("/dashboard/password", data={
            "csrf": token, "current": current, "new": new, "again": again or new})

    assert change(PASSWORD, "a new long passphrase", "a different one!!").status_code == 422
    assert change(PASSWORD, "short").status_code == 422
    assert change(PASSWORD, "aaaaaaaaaaaaaaaa").status_code == 422  # too few different chars
    assert change(PASSWORD, "alice-my-new-password").status_code == 422  # has the username
    assert change("not my password", "a new long passphrase").status_code == 403
    early = change(PASSWORD, "a new long passphrase")  # a wrong guess delays this pair too
    assert early.status_code == 429 and early.headers["retry-after"] == "1"
    assert phone.get("/dashboard").status_code == 200  # nothing changed yet
    time.sleep(1.1)
    done = change(PASSWORD, "a new long passphrase")
    assert done.status_code == 200 and 'id="password-message"' in done.text
    assert phone.get("/dashboard").status_code == 401  # the other session ended
    assert desk.get("/dashboard").status_code == 200  # this one goes on
    assert try_login(client(gateway, ATTACKER), "alice", PASSWORD).status_code == 401
    logged_in(gateway, "alice", "a new long passphrase")


def test_guessing_the_duty_officers_password_elsewhere_does_not_keep_them_out(
        gateway: Gateway, alice: int, log_lines: LogLines) -> None:
    attacker = client(gateway, ATTACKER)
    answers = [try_login(attacker, "alice", f"guess-{n}") for n in range(25)]
    codes = [a.status_code for a in answers]
    assert codes[0] == 401 and set(codes) == {401, 429}
    assert codes.count(401) <= 3, codes  # the rest were refused unchecked: they had to wait
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)
    assert all(SESSION_COOKIE not in a.cookies for a in answers)
    # Even the right password is not checked from the attacker's client before the delay...
    assert try_login(attacker, "alice", PASSWORD).status_code == 429
    # ...while the duty officer's client gets in at once, with no delay at all.
    started = time.monotonic()
    desk = client(gateway, DUTY)
    assert try_login(desk, "alice", PASSWORD).status_code == 303
    assert desk.get("/dashboard").status_code == 200
    assert time.monotonic() - started < 5
    # The stored state names neither the account nor an address; nor do the logs.
    with session_scope() as session:
        keys = [row.key for row in session.scalars(select(LoginThrottle))]
    assert len(keys) == 1 and all(len(k) == 64 and "alice" not in k for k in keys)
    logged = "\n".join(log_lines.lines)
    assert "198.51.100.7" not in logged and "203.0.113.10" not in logged
    assert "alice" not in logged


def test_a_correct_password_after_failures_gets_in_after_the_delay(
        gateway: Gateway, alice: int) -> None:
    desk = client(gateway, DUTY)
    assert try_login(desk, "alice", "typo one").status_code == 401
    early = try_login(desk, "alice", PASSWORD)
    assert early.status_code == 429 and early.headers["retry-after"] == "1"
    time.sleep(1.1)
    assert try_login(desk, "alice", "typo two").status_code == 401
    early = try_login(desk, "alice", PASSWORD)
    assert early.status_code == 429 and early.headers["retry-after"] == "2"
    time.sleep(2.1)
    assert try_login(desk, "alice", PASSWORD).status_code == 303
    assert desk.get("/dashboard").status_code == 200
    with session_scope() as session:  # a login forgets the pair's failures
        assert list(session.scalars(select(LoginThrottle))) == []
    # The delay grows 1, 2, 4 ... and stops at the cap (30 s by default).
    key = "0" * 64
    with session_scope() as session:
        session.add(LoginThrottle(key=key, failures=12, last_failure_at=utcnow()))
    wait = in_session(login_throttle.attempt, key, get_settings().login_delay_max_s)
    assert 29 < wait <= 30


def test_the_forwarded_address_is_believed_only_from_a_trusted_proxy() -> None:
    def request(peer: str, forwarded: str | None) -> Request:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return Request({"type": "http", "client": (peer, 1234), "headers": headers})

    proxies = ["10.0.0.0/8"]
    # Not from a proxy: whatever the header says, the peer is the client (no escaping a delay).
    assert client_address(request("198.51.100.7", "203.0.113.10"), proxies) == "198.51.100.7"
    assert client_address(request("198.51.100.7", "203.0.113.10"), []) == "198.51.100.7"
    # From the proxy: the nearest address the proxies did not add, read right to left.
    assert client_address(request("10.0.0.2", "203.0.113.10"), proxies) == "203.0.113.10"
    assert client_address(request("10.0.0.2", "1.2.3.4, 203.0.113.10, 10.0.0.9"),
                          proxies) == "203.0.113.10"  # 1.2.3.4 was written by the client
    assert client_address(request("10.0.0.2", "garbage, 203.0.113.10"),
                          proxies) == "203.0.113.10"
    assert client_address(request("10.0.0.2", None), proxies) == "10.0.0.2"


def test_cookies_are_httponly_and_samesite_and_secure_in_production(
        app_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")
    secrets = {name: Fernet.generate_key().decode() + name.upper() for name in (
        "SESSION_KEY", "PSEUDONYM_KEY", "INTERNAL_API_TOKEN", "RASA_AUTH_TOKEN",
        "ACTION_SERVER_TOKEN")}
    for environment, secure in (("development", False), ("production", True)):
        reset_caches()  # settings of this environment, not the cached ones of the last
        with running_gateway(monkeypatch, ENVIRONMENT=environment,
                             ENCRYPTION_KEYS=Fernet.generate_key().decode(), **secrets) as gw:
            form = httpx.get(f"{gw.url}/dashboard/login", timeout=10)
            # Over plain HTTP a client keeps a Secure cookie to itself (behind the TLS proxy
            # it is https): send the login form's cookie back by hand.
            token = form.text.split('name="csrf" value="')[1].split('"')[0]
            response = httpx.post(f"{gw.url}/dashboard/login", timeout=10, data={
                "username": "alice", "password": PASSWORD, "csrf": token}, headers={
                "Cookie": form.headers["set-cookie"].split(";")[0]})
        assert response.status_code == 303
        [session_cookie] = [c for c in response.headers.get_list("set-cookie")
                            if c.startswith(f"{SESSION_COOKIE}=")]
        for set_cookie in (form.headers["set-cookie"], session_cookie):
            flags = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
            assert {"httponly", "samesite"} <= flags, set_cookie
            assert ("secure" in flags) is secure, (environment, set_cookie)
        assert "samesite=lax" in session_cookie.lower()


def test_session_tables_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                load_all().metadata)
    engine.dispose()
    assert [d for d in diff if any(t in repr(d) for t in TABLES)] == [], diff


def test_revoke_all_ends_only_live_sessions_of_that_account(app_env: str) -> None:
    alice_id = in_session(add_caseworker, "alice", PASSWORD).id
    bob_id = in_session(add_caseworker, "bob", PASSWORD).id
    keep = in_session(sessions.start, alice_id, "th", 3600)
    other = in_session(sessions.start, alice_id, "en", 3600)
    bobs = in_session(sessions.start, bob_id, "th", 3600)
    assert in_session(sessions.revoke_all, alice_id, keep) == 1
    assert in_session(sessions.current, keep, 600) is not None
    assert in_session(sessions.current, other, 600) is None
    assert in_session(sessions.current, bobs, 600) is not None
    assert in_session(sessions.live_counts) == {alice_id: 1, bob_id: 1}
