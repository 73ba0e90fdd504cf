"""Security over real HTTP: every route enumerated from the app is public by design or
refuses anonymous requests; forged and replayed webhooks are not stored or answered twice;
CSRF on every dashboard POST; no secret or full LINE user id in any log line."""

from __future__ import annotations

import re
import uuid

import httpx
from log_capture import LogLines
from sqlalchemy import func, select

from cases.accounts import add_caseworker
from cases.models import Case, CaseEvent
from gateway.app import create_app
from gateway.models import InboxEvent
from gateway.signature import sign
from referral_directory.models import Service
from saphan.db import session_scope
from saphan.settings import get_settings
from testsupport.cases import CHANNELS, TOKEN, Gateway, wait_for

SECRET = {c["name"]: c["secret"] for c in CHANNELS}
PASSWORD = "correct horse battery staple"
# Public by design (each with its reason); every other route must refuse anonymous access.
PUBLIC = {
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),  # API documentation
    ("GET", "/healthz"),  # load balancer probe
    ("GET", "/api/services"), ("GET", "/api/services/{service_id}"),  # public directory
    ("GET", "/dashboard/login"), ("POST", "/dashboard/login"),  # the way in
    # the local simulator: on only when SAPHAN_SIMULATOR_ENABLED (must be off in production)
    ("GET", "/simulator"), ("GET", "/simulator/simulator.js"),
    ("POST", "/simulator/api/{audience}/events"), ("GET", "/simulator/api/{audience}/messages"),
}
PATH_VALUES = {"case_id": "1", "service_id": "1", "channel_name": "public",
               "audience": "public", "conversation_id": "c-1"}


def app_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the gateway app, read from the app itself."""
    found = []
    for route in create_app().routes:
        contexts = (route.effective_route_contexts()
                    if hasattr(route, "effective_route_contexts") else [route])
        for ctx in contexts:
            methods = sorted(getattr(ctx, "methods", None) or [])
            found += [(m, ctx.path) for m in methods if m != "HEAD"]
    return found


def counts() -> dict[str, int]:
    with session_scope() as session:
        return {m.__name__: int(session.execute(select(func.count()).select_from(m))
                                .scalar_one()) for m in (InboxEvent, Case, CaseEvent, Service)}


def test_every_non_public_route_refuses_anonymous_requests(gateway: Gateway) -> None:
    case_id = gateway.create_case().json()["id"]
    routes = app_routes()
    guarded = [r for r in routes if r not in PUBLIC]
    assert {p.split("/")[1] for _, p in guarded} >= {"dashboard", "internal", "api", "line"}
    assert not PUBLIC - set(routes), "a public route listed here no longer exists"
    before = counts()
    accepted = {}
    for method, path in guarded:
        url = gateway.url + path.format(**{**PATH_VALUES, "case_id": str(case_id)})
        for headers in ({}, {"Authorization": "Bearer wrong-token",
                             "Cookie": "saphan_session=forged"}):
            response = httpx.request(method, url, timeout=10, json={"text": "hi", "csrf": "x"},
                                     headers={"Accept": "text/html", **headers})
            redirect_to_login = (response.status_code == 303
                                 and response.headers["location"] == "/dashboard/login")
            if response.status_code not in (401, 403) and not redirect_to_login:
                accepted[(method, path, bool(headers))] = response.status_code
    assert accepted == {}, f"routes that served an anonymous request: {accepted}"
    assert counts() == before  # nothing was written by any refused request


def test_forged_webhooks_are_rejected_and_not_stored(gateway: Gateway) -> None:
    raw = gateway.line.webhook_body([gateway.line.text_event("Uforged", "hello")])
    forgeries = [
        None, "", "not base64 !", sign("wrong-secret", raw), sign(SECRET["officer"], raw),
        sign(SECRET["public"], raw + b" "), sign(SECRET["public"], raw).lower(),
    ]
    for signature in forgeries:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        response = httpx.post(f"{gateway.url}/line/public/webhook", content=raw,
                              headers=headers, timeout=10)
        assert response.status_code == 401, signature
    assert counts()["InboxEvent"] == 0
    assert gateway.line.calls("/v2/bot/message/", status=None) == []


def test_replayed_webhooks_are_stored_and_answered_once(gateway: Gateway) -> None:
    user = f"U{uuid.uuid4().hex}"
    raw = gateway.line.webhook_body([gateway.line.text_event(user, "hello")])
    headers = {"Content-Type": "application/json",
               "X-Line-Signature": sign(SECRET["public"], raw)}
    answers = [httpx.post(f"{gateway.url}/line/public/webhook", content=raw, headers=headers,
                          timeout=10).json() for _ in range(5)]
    assert answers[0]["accepted"] == 1
    assert all(a["accepted"] == 0 and a["redeliveries"] == 1 for a in answers[1:])
    wait_for(lambda: gateway.line.messages_to(user), timeout=20)
    wait_for(lambda: len(gateway.rasa.messages) >= 1, timeout=5)
    assert counts()["InboxEvent"] == 1
    assert len(gateway.line.messages_to(user)) == 1 and len(gateway.rasa.messages) == 1


def login(gateway: Gateway, username: str) -> tuple[httpx.Client, str]:
    client = gateway.client()
    page = client.get("/dashboard/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/dashboard/login", data={"username": username,
                                                     "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text
    queue = client.get("/dashboard").text
    return client, re.search(r'name="csrf" value="([^"]+)"', queue).group(1)  # type: ignore[union-attr]


def test_every_dashboard_post_needs_its_own_sessions_csrf_token(gateway: Gateway) -> None:
    with session_scope() as session:
        alice_id = add_caseworker(session, "alice", PASSWORD, "admin", "Alice").id
        add_caseworker(session, "bob", PASSWORD, "caseworker", "Bob")
    case_id = gateway.create_case().json()["id"]
    alice, _ = login(gateway, "alice")
    _, bobs_token = login(gateway, "bob")
    posts = [p for m, p in app_routes()
             if m == "POST" and p.startswith("/dashboard") and p != "/dashboard/login"]
    assert len(posts) >= 8
    before = counts()
    for path in posts:
        url = path.format(case_id=case_id)
        for token in (None, "", "x" * 32, bobs_token):
            data = {"text": "hi", "body": "hi", "value": "closed", "lang": "en",
                    "caseworker_id": str(alice_id), "service_id": "1", "service_name": "x",
                    "reason": "x", "outcome": "resolved"}  # every form field is valid
            if token is not None:
                data["csrf"] = token
            response = alice.post(url, data=data)
            assert response.status_code == 403, (path, token, response.status_code)
    assert counts() == before
    assert alice.get("/dashboard").status_code == 200  # still logged in: refused, not broken


def test_no_secret_or_full_line_user_id_in_any_log_line(gateway: Gateway,
                                                        log_lines: LogLines) -> None:
    users = [f"U{uuid.uuid4().hex}" for _ in range(3)]
    line = gateway.line
    line.fail_next("/v2/bot/message/reply", 500)  # a LINE failure is logged with its context
    events = [line.follow_event(users[0]), line.text_event(users[1], "ช่วยด้วย ถูกขัง"),
              line.postback_event(users[2], "/request_human"),
              line.message_event(users[0], {"type": "sticker", "packageId": "1",
                                            "stickerId": "1"})]
    raw = line.webhook_body(events)
    assert httpx.post(f"{gateway.url}/line/public/webhook", content=raw, timeout=10, headers={
        "X-Line-Signature": sign(SECRET["public"], raw)}).status_code == 200
    httpx.post(f"{gateway.url}/line/public/webhook", content=raw, timeout=10,
               headers={"X-Line-Signature": "forged"})
    wait_for(lambda: all(line.messages_to(u) for u in users), timeout=30)
    gateway.create_case(summary=f"user {users[1]} locked in")
    httpx.post(f"{gateway.url}/dashboard/login", data={"username": "nobody",
                                                       "password": PASSWORD, "csrf": "x"})
    httpx.post(f"{gateway.url}/api/services", json={}, timeout=10,
               headers={"Authorization": "Bearer admin-token-0123456789"})
    settings = get_settings()
    secrets = [c[k] for c in CHANNELS for k in ("secret", "access_token")] + [
        TOKEN, PASSWORD, settings.secret_key.get_secret_value(),
        settings.admin_api_token.get_secret_value()]
    assert any("saphan.gateway" in x for x in log_lines.lines), "gateway logs not captured"
    leaks = [(s, line_) for line_ in log_lines.lines for s in secrets + users if s in line_]
    assert leaks == [], log_lines.lines
