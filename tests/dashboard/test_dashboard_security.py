"""Dashboard security over real HTTP: every route needs a session, CSRF on every POST,
session expiry, login throttling, argon2 hashes, the audit log. (Sessions, timeouts, account
management and throttling abuse in depth: tests/reliability/test_reliability_accounts.py.)"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from dashboard_helpers import PASSWORD, csrf_of, dashboard_routes, login
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import update

from cases import audit, service
from cases.accounts import AccountError, add_caseworker, authenticate
from cases.models import Caseworker, CaseworkerSession
from dashboard.auth import LOGIN_PATH, SESSION_COOKIE
from gateway.app import create_app
from saphan.db import in_session, session_scope, utcnow
from saphan.settings import get_settings
from testsupport.cases import Gateway

PUBLIC = {("GET", LOGIN_PATH), ("POST", LOGIN_PATH)}


@pytest.fixture
def alice(app_env: str) -> Caseworker:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice")


def urls(gateway: Gateway, case_id: int) -> list[tuple[str, str]]:
    routes = [r for r in dashboard_routes(create_app()) if r not in PUBLIC]
    assert len(routes) >= 15, routes
    return [(m, gateway.url + p.replace("{case_id}", str(case_id))) for m, p in routes]


def test_every_dashboard_route_refuses_requests_without_a_valid_session(
        gateway: Gateway, alice: Caseworker) -> None:
    case_id = gateway.create_case().json()["id"]
    forged = URLSafeTimedSerializer("not-the-key", salt="session").dumps(
        {"uid": alice.id, "csrf": "x", "lang": "en"})
    for method, url in urls(gateway, case_id):
        for cookies in ({}, {SESSION_COOKIE: forged}, {SESSION_COOKIE: "garbage"}):
            with httpx.Client(cookies=cookies, timeout=10) as client:
                response = client.request(method, url, data={"csrf": "x", "text": "hi"},
                                          headers={"Accept": "text/html"})
            assert response.status_code in (401, 303), (method, url, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"] == LOGIN_PATH
    assert in_session(service.transcript, case_id) == []  # nothing was changed
    assert in_session(service.get_case, case_id).assignee_id is None


def test_expired_session_is_refused(gateway: Gateway, alice: Caseworker) -> None:
    """Sessions are server-side now: a session past its end is refused, and a signed
    stateless cookie of the old kind (even with the real key) logs nobody in."""
    client, _ = login(gateway, "alice")
    assert client.get("/dashboard").status_code == 200
    with session_scope() as session:
        session.execute(update(CaseworkerSession).values(expires_at=utcnow() - timedelta(1)))
    assert client.get("/dashboard").status_code == 401
    key = get_settings().session_key.get_secret_value()
    stateless = URLSafeTimedSerializer(key, salt="session").dumps(
        {"uid": alice.id, "csrf": "x", "lang": "en"})
    with httpx.Client(base_url=gateway.url, timeout=10) as fresh:
        assert fresh.get("/dashboard", cookies={SESSION_COOKIE: stateless}).status_code == 401


def test_posts_without_the_csrf_token_are_refused(gateway: Gateway, alice: Caseworker) -> None:
    case_id = gateway.create_case().json()["id"]
    client, token = login(gateway, "alice")
    assert client.post(f"/dashboard/cases/{case_id}/claim").status_code == 403
    assert client.post(f"/dashboard/cases/{case_id}/claim",
                       data={"csrf": token + "x"}).status_code == 403
    assert in_session(service.get_case, case_id).assignee_id is None
    assert client.post(f"/dashboard/cases/{case_id}/claim",
                       data={"csrf": token}).status_code == 303
    assert in_session(service.get_case, case_id).assignee_id == alice.id
    page = client.get("/dashboard/login")  # the login form needs its own token too
    refused = client.post("/dashboard/login", data={"username": "alice", "password": PASSWORD})
    assert page.status_code == 200 and refused.status_code == 403


def test_caseworker_actions_are_in_the_audit_log(gateway: Gateway, alice: Caseworker) -> None:
    case_id = gateway.create_case().json()["id"]
    client, token = login(gateway, "alice")
    client.get(f"/dashboard/cases/{case_id}")
    client.post(f"/dashboard/cases/{case_id}/claim", data={"csrf": token})
    client.post(f"/dashboard/cases/{case_id}/notes", data={"csrf": token, "body": "called"})
    log = [(e.username, e.action, e.case_id) for e in in_session(audit.entries)]
    assert ("alice", "login", None) in log
    assert [(u, a) for u, a, c in log if c == case_id] == [
        ("alice", "view"), ("alice", "view_transcript"), ("alice", "claim"), ("alice", "note")]
    assert all("called" not in (e.detail or "") for e in in_session(audit.entries))  # no content


def test_login_failures_are_delayed_and_audited(gateway: Gateway, alice: Caseworker) -> None:
    """A failure delays the next attempt of this account from this client (429 with the wait,
    the password unchecked and the attempt uncounted); failures are in the audit log."""
    client = gateway.client()
    token = csrf_of(client.get("/dashboard/login").text)
    wrong = client.post("/dashboard/login", data={"username": "alice", "password": "nope",
                                                  "csrf": token})
    assert wrong.status_code == 401
    token = csrf_of(client.get("/dashboard/login").text)
    early = client.post("/dashboard/login", data={"username": "alice", "password": PASSWORD,
                                                  "csrf": token})
    assert early.status_code == 429 and SESSION_COOKIE not in early.cookies
    assert early.headers["retry-after"] == "1" and "1" in early.text
    assert [e.action for e in in_session(audit.entries)].count("login_failed") == 1


def test_passwords_are_stored_as_argon2_hashes(app_env: str) -> None:
    in_session(add_caseworker, "admin1", PASSWORD, "system_admin")
    with session_scope() as session:
        stored = session.query(Caseworker).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert in_session(authenticate, "ADMIN1", PASSWORD) is not None
    assert in_session(authenticate, "admin1", PASSWORD + "x") is None
    assert in_session(authenticate, "nobody", PASSWORD) is None
    for bad in [("admin1", PASSWORD, "system_admin"), ("x y", PASSWORD, "system_admin"),
                ("short", "123", "system_admin"), ("boss", PASSWORD, "root")]:
        with pytest.raises(AccountError):
            in_session(add_caseworker, *bad)


def test_only_an_admin_or_the_assignee_can_reassign(gateway: Gateway, alice: Caseworker) -> None:
    bob = in_session(add_caseworker, "bob", PASSWORD, "caseworker")
    in_session(add_caseworker, "boss", PASSWORD, "system_admin")
    case_id = gateway.create_case().json()["id"]
    in_session(service.claim, case_id, alice.id)
    bob_client, bob_token = login(gateway, "bob")
    taken = bob_client.post(f"/dashboard/cases/{case_id}/assign",
                            data={"csrf": bob_token, "caseworker_id": str(bob.id)})
    assert taken.status_code == 403
    assert in_session(service.get_case, case_id).assignee_id == alice.id
    boss_client, boss_token = login(gateway, "boss")
    moved = boss_client.post(f"/dashboard/cases/{case_id}/assign",
                             data={"csrf": boss_token, "caseworker_id": str(bob.id)})
    assert moved.status_code == 303 and in_session(service.get_case, case_id).assignee_id == bob.id
    assert ("boss", "assign", case_id) in [(e.username, e.action, e.case_id)
                                           for e in in_session(audit.entries)]
