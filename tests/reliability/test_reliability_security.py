"""Security over real HTTP: every route enumerated from the app is public by design or
refuses anonymous requests; forged and replayed webhooks are not stored or answered twice;
CSRF on every dashboard POST; no secret or full LINE user id in any log line.

Production mode (issue 16): each process refuses default or weak secrets; a cookie forged with
the public default key gets nothing; simulator and docs are off; 30 MB bodies are refused on
every route without memory growth; the simulator cannot delay LINE users; CSV exports are
neutralised; security headers; Rasa and the action server refuse calls without their token."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from itsdangerous import URLSafeTimedSerializer
from log_capture import LogLines
from security_probes import (
    MB,
    PYTHON,
    production_env,
    refused_start,
    rss_bytes,
    send_huge,
    serving,
    strong_secrets,
)
from sqlalchemy import func, select

from actions.guard import TOKEN_HEADER
from cases.accounts import add_caseworker
from cases.models import Case, CaseEvent
from cases.vocab import REFERRAL_REASONS
from content.catalogue import TEXTS_DIR
from content.translations import export_csv as export_texts
from content.translations import import_csv as import_texts
from dashboard.auth import SESSION_COOKIE
from gateway import users
from gateway.app import create_app, internal_openapi
from gateway.models import InboxEvent
from gateway.rasa_bridge import conversation_id
from gateway.signature import sign
from referral_directory.bundled import bundled_records
from referral_directory.files import read_records, write_csv
from referral_directory.models import Service
from saphan.csv_safe import TRIGGERS
from saphan.db import reset_caches, session_scope
from saphan.production import REQUIRED_SECRETS, ProductionSettingsError, check_production
from saphan.settings import Settings, get_settings
from testsupport.cases import CHANNELS, TOKEN, Gateway, running_gateway
from testsupport.polling import wait_for
from testsupport.served import ServedApp
from testsupport.stack import Stack, free_port

SECRET = {c["name"]: c["secret"] for c in CHANNELS}
PASSWORD = "correct horse battery staple"
# Public by design (each with its reason); every other route must refuse anonymous access.
PUBLIC = {
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),  # API documentation
    ("GET", "/healthz"),  # load balancer probe
    ("GET", "/readyz"), ("GET", "/livez"),  # Kubernetes probes (docs/operations.md)
    ("GET", "/api/services"), ("GET", "/api/services/{service_id}"),  # public directory
    ("GET", "/dashboard/login"), ("POST", "/dashboard/login"),  # the way in
    # a screening's referral packet: the signed, expiring token in the link is the credential
    # (screening/packet.py; a forged or expired token is 404, tested there)
    ("GET", "/screening/packet/{token}"), ("GET", "/screening/packet/{token}/htcds.json"),
    # the local simulator: on only when SAPHAN_SIMULATOR_ENABLED (must be off in production)
    ("GET", "/simulator"), ("GET", "/simulator/simulator.js"),
    ("GET", "/simulator/simulator.css"),
    ("POST", "/simulator/api/{audience}/events"), ("GET", "/simulator/api/{audience}/messages"),
}
PATH_VALUES = {"case_id": "1", "service_id": "1", "channel_name": "public", "code": "default",
               "username": "nobody", "referral_id": "1", "external_id": "no-such-service",
               "label_id": "1",
               "token": "no-such-token",
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
        alice_id = add_caseworker(session, "alice", PASSWORD, "system_admin", "Alice").id
        add_caseworker(session, "bob", PASSWORD, "caseworker", "Bob")
    case_id = gateway.create_case().json()["id"]
    alice, _ = login(gateway, "alice")
    _, bobs_token = login(gateway, "bob")
    posts = [p for m, p in app_routes()
             if m == "POST" and p.startswith("/dashboard") and p != "/dashboard/login"]
    assert len(posts) >= 8
    before = counts()
    for path in posts:
        url = path.format(**{**PATH_VALUES, "case_id": case_id})
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
        TOKEN, PASSWORD, settings.session_key.get_secret_value(),
        settings.admin_api_token.get_secret_value()]
    assert any("saphan.gateway" in x for x in log_lines.lines), "gateway logs not captured"
    leaks = [(s, line_) for line_ in log_lines.lines for s in secrets + users if s in line_]
    assert leaks == [], log_lines.lines


# --- production mode -------------------------------------------------------------------------

DEFAULT_SESSION_KEY = Settings.model_fields["session_key"].default.get_secret_value()


def weak_values(field: str) -> dict[str, str]:
    """Bad values of one secret: the public default, empty, short, a placeholder."""
    default = Settings.model_fields[field].default.get_secret_value()
    return {"default": default, "empty": "", "short": "x7Kq9-short",
            "placeholder": "please-change-me-0123456789abcdefghijkl"}


@pytest.mark.parametrize("field", [f for f in REQUIRED_SECRETS] + ["encryption_keys"])
def test_production_settings_refuse_each_default_or_weak_secret(field: str) -> None:
    strong = {k.lower(): v for k, v in strong_secrets().items()}
    check_production(Settings(_env_file=None, environment="production", **strong))  # type: ignore[call-arg]
    variable = f"SAPHAN_{field.upper()}"
    bad = {**weak_values(field), "reused": strong["session_key" if field != "session_key"
                                                  else "pseudonym_key"]}
    for why, value in bad.items():
        settings = Settings(_env_file=None, environment="production",  # type: ignore[call-arg]
                            **{**strong, field: value})
        with pytest.raises(ProductionSettingsError) as refused:
            check_production(settings)
        message = str(refused.value)
        assert variable in message, (why, message)
        assert "python -c" in message  # how to make a good one
        assert not value or value not in message.replace(variable, ""), "the value was shown"
        check_production(settings.model_copy(update={"environment": "development"}))


def test_each_process_refuses_to_start_in_production_with_default_secrets(
        tmp_path: Path) -> None:
    port = str(free_port())
    starts = {
        "gateway": [PYTHON, "-m", "uvicorn", "gateway.app:create_app", "--factory",
                    "--port", port],
        "actions": [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", port],
        "cli": [PYTHON, "-m", "cli.main", "db", "upgrade"],
    }
    database = f"sqlite:///{tmp_path / 'never.db'}"
    for name, argv in starts.items():
        errors = refused_start(argv, production_env(DATABASE_URL=database))
        for field in (*REQUIRED_SECRETS, "encryption_keys"):
            assert f"SAPHAN_{field.upper()}" in errors, (name, errors)
        assert DEFAULT_SESSION_KEY not in errors
        one_weak = {**strong_secrets(), "RASA_AUTH_TOKEN": "short-token"}
        errors = refused_start(argv, production_env(DATABASE_URL=database, **one_weak))
        assert "SAPHAN_RASA_AUTH_TOKEN is too short" in errors, (name, errors)
        assert "SAPHAN_SESSION_KEY" not in errors
    assert not (tmp_path / "never.db").exists()  # the CLI stopped before touching anything


def test_production_processes_start_with_strong_secrets(app_env: str) -> None:
    secrets_ = strong_secrets()
    env = production_env(DATABASE_URL=app_env, **secrets_)
    port = free_port()
    gateway = serving([PYTHON, "-m", "uvicorn", "gateway.app:create_app", "--factory",
                       "--port", str(port)], env, f"http://127.0.0.1:{port}/healthz")
    try:
        base = f"http://127.0.0.1:{port}"
        for path in ("/simulator", "/docs", "/redoc", "/openapi.json"):
            assert httpx.get(base + path, timeout=10).status_code == 404, path
    finally:
        gateway.terminate()
        gateway.wait(10)
    port = free_port()
    actions = serving([PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                      {**env, "SANIC_HOST": "127.0.0.1"}, f"http://127.0.0.1:{port}/health")
    try:
        url = f"http://127.0.0.1:{port}"
        token = {TOKEN_HEADER: secrets_["ACTION_SERVER_TOKEN"]}
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        for headers in ({}, {TOKEN_HEADER: "wrong"}, {TOKEN_HEADER: DEFAULT_ACTION_TOKEN}):
            assert httpx.get(f"{url}/actions", headers=headers, timeout=10).status_code == 401
            assert httpx.post(f"{url}/webhook", json={"next_action": "action_ping"},
                              headers=headers, timeout=10).status_code == 401
        listed = httpx.get(f"{url}/actions", headers=token, timeout=10)
        assert listed.status_code == 200 and {"name": "action_ping"} in listed.json()
    finally:
        actions.terminate()
        actions.wait(10)


DEFAULT_ACTION_TOKEN = Settings.model_fields["action_server_token"].default.get_secret_value()


@pytest.fixture
def production_gateway(app_env: str, log_lines: LogLines, monkeypatch: pytest.MonkeyPatch
                       ) -> Iterator[Gateway]:
    values = strong_secrets()
    monkeypatch.setenv("SAPHAN_ENVIRONMENT", "production")
    for key, value in values.items():
        monkeypatch.setenv(f"SAPHAN_{key}", value)
    with running_gateway(monkeypatch, INTERNAL_API_TOKEN=values["INTERNAL_API_TOKEN"]) as gw:
        yield gw


def test_production_gateway_has_no_simulator_docs_or_default_key(
        production_gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = production_gateway
    with session_scope() as session:
        alice = add_caseworker(session, "alice", PASSWORD, "system_admin", "Alice").id
    for path in ("/simulator", "/simulator/simulator.js", "/docs", "/redoc", "/openapi.json"):
        assert httpx.get(gateway.url + path, timeout=10).status_code == 404, path
    assert httpx.post(f"{gateway.url}/simulator/api/public/events", timeout=10,
                      json={"user": "sim-0123456789", "text": "hi"}).status_code == 404
    # a session cookie forged with the public default key (any format it ever had) gets nothing
    forged = [URLSafeTimedSerializer(key, salt="session").dumps(
        {"uid": alice, "csrf": "x", "lang": "en"}) for key in (DEFAULT_SESSION_KEY,
                                                                "dev-secret-key-change-me")]
    for cookie in forged:
        for path in ("/dashboard", "/dashboard/export.csv"):
            response = httpx.get(gateway.url + path, cookies={SESSION_COOKIE: cookie},
                                 headers={"Accept": "text/html"}, timeout=10)
            assert response.status_code in (303, 401), (path, response.status_code)
            assert "saphan_CaseId" not in response.text
    # ... and explicitly enabled, they are there
    monkeypatch.setenv("SAPHAN_SIMULATOR_ENABLED", "true")
    monkeypatch.setenv("SAPHAN_DOCS_ENABLED", "true")
    reset_caches()
    paths = {path for _, path in app_routes()}
    assert {"/simulator", "/docs", "/openapi.json"} <= paths


def test_internal_routes_are_never_in_the_public_schema(gateway: Gateway) -> None:
    public = httpx.get(f"{gateway.url}/openapi.json", timeout=10).json()["paths"]
    assert "/api/services" in public
    assert [p for p in public if p.startswith("/internal")] == []
    assert any(p.startswith("/internal") for p in internal_openapi(gateway.app)["paths"])


# --- request limits and the simulator lane ---------------------------------------------------

def test_30_mb_bodies_are_refused_on_every_route_without_memory_growth(
        gateway: Gateway) -> None:
    with session_scope() as session:
        add_caseworker(session, "alice", PASSWORD, "system_admin", "Alice")
    case_id = gateway.create_case().json()["id"]
    client, _ = login(gateway, "alice")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    targets = {
        "/simulator/api/public/events": {"Content-Type": "application/json"},
        "/api/services": {"Content-Type": "application/json",
                          "Authorization": "Bearer admin-token-0123456789"},
        "/internal/cases": {"Content-Type": "application/json",
                            "Authorization": f"Bearer {TOKEN}"},
        f"/internal/cases/{case_id}/messages": {"Content-Type": "application/json",
                                                "Authorization": f"Bearer {TOKEN}"},
        "/dashboard/login": {"Content-Type": "application/x-www-form-urlencoded"},
        f"/dashboard/cases/{case_id}/notes": form,
        f"/dashboard/cases/{case_id}/reply": form,
        "/line/public/webhook": {"Content-Type": "application/json",
                                 "X-Line-Signature": "x"},
    }
    before_counts = counts()
    for path, headers in targets.items():  # warm up: every route has served a request
        send_huge(gateway.url, path, headers, size=2 * MB)
    before = rss_bytes()
    refused = {(path, chunked): send_huge(gateway.url, path, headers, chunked=chunked)
               for path, headers in targets.items() for chunked in (False, True)}
    grown = rss_bytes() - before
    assert set(refused.values()) == {413}, refused
    print(f"RSS growth after {len(refused)} x 30 MB bodies: {grown / MB:.1f} MB")
    assert grown < 8 * MB, f"resident memory grew {grown / MB:.0f} MB"
    assert counts() == before_counts
    assert client.get("/dashboard").status_code == 200  # still serving, still logged in


def test_simulator_is_rate_limited_per_client(app_env: str, log_lines: LogLines,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with running_gateway(monkeypatch, SIMULATOR_RATE_PER_MINUTE="3") as gateway:
        answers = [httpx.post(f"{gateway.url}/simulator/api/public/events", timeout=10,
                              json={"user": f"sim-{i:08d}", "text": "hi"}).status_code
                   for i in range(5)]
    assert answers == [200, 200, 200, 429, 429]


def blocking_rasa(release: threading.Event, in_flight: list[int]) -> FastAPI:
    """A fake Rasa that answers LINE users at once and holds simulator users until `release`
    (recording how many simulator turns it holds at a time)."""
    app = FastAPI()
    held = [0]

    @app.post("/webhooks/rest/webhook")
    async def rest(request: Request) -> JSONResponse:
        body = await request.json()
        if body["metadata"]["channel"].startswith("simulator-"):
            held[0] += 1
            in_flight.append(held[0])
            while not release.is_set():
                await asyncio.sleep(0.02)
            held[0] -= 1
        return JSONResponse([{"recipient_id": body["sender"], "text": f"bot: {body['message']}"}])

    return app


def test_a_line_user_is_answered_while_the_simulator_lane_is_saturated(
        app_env: str, log_lines: LogLines, monkeypatch: pytest.MonkeyPatch) -> None:
    release, in_flight = threading.Event(), []
    simulated = [f"sim-{i:010d}" for i in range(24)]  # more than the gateway's LINE slots
    with ServedApp(blocking_rasa(release, in_flight), lifespan="off") as rasa, \
            running_gateway(monkeypatch, RASA_URL=rasa.url, RASA_TIMEOUT_S="60",
                            SIMULATOR_WORKERS="2", SIMULATOR_RATE_PER_MINUTE="100") as gateway:
        try:
            for user in simulated:
                assert httpx.post(f"{gateway.url}/simulator/api/public/events", timeout=10,
                                  json={"user": user, "text": "hello"}).status_code == 200
            wait_for(lambda: len(in_flight) >= 2, timeout=20)
            user = f"U{uuid.uuid4().hex}"
            raw = gateway.line.webhook_body([gateway.line.text_event(user, "help")])
            httpx.post(f"{gateway.url}/line/public/webhook", content=raw, timeout=10,
                       headers={"X-Line-Signature": sign(SECRET["public"], raw)})
            wait_for(lambda: gateway.line.messages_to(user), timeout=30)
            assert not release.is_set() and len(in_flight) == 2  # simulator still held
        finally:
            release.set()

        def simulator_answered() -> bool:
            with session_scope() as session:
                done = session.execute(select(func.count()).select_from(InboxEvent).where(
                    InboxEvent.channel == "simulator-public",
                    InboxEvent.status == "done")).scalar_one()
            return done == len(simulated)

        wait_for(simulator_answered, timeout=60)
    assert max(in_flight) == 2  # never more than the simulator lane's workers at Rasa


# --- exports and headers ---------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1+1)", "\t=1", "\r=1"]


def test_every_csv_export_is_neutralised(gateway: Gateway, tmp_path: Path) -> None:
    for formula in FORMULAS:  # one case each: each text is a whole cell
        case_id = gateway.create_case(conversation_id=f"c-{uuid.uuid4().hex}").json()["id"]
        response = httpx.post(f"{gateway.url}/internal/cases/{case_id}/referrals", timeout=10,
                              headers={"Authorization": f"Bearer {TOKEN}"},
                              json={"service_name": formula, "reason": REFERRAL_REASONS[0],
                                    "organisation": formula, "details": formula})
        assert response.status_code == 201, response.text
    with session_scope() as session:
        add_caseworker(session, "alice", PASSWORD, "system_admin", "Alice")
    client, _ = login(gateway, "alice")
    exported = client.get("/dashboard/export.csv")
    assert exported.headers["cache-control"] == "no-store"
    cells = [c for row in csv.reader(io.StringIO(exported.text)) for c in row]
    assert {"'" + formula for formula in FORMULAS} <= set(cells)
    assert [c for c in cells if c.startswith(TRIGGERS)] == []
    # the referral directory: exported, neutralised, imported back unchanged
    record = bundled_records()[0].model_copy(update={
        "name_en": "=1+1", "phones": ["+6621234567", "1300"], "cost_notes": "'=already quoted",
        "description_en": "-  a dash list", "eligibility_notes": "@someone"})
    out = io.StringIO()
    write_csv([record], out)
    cells = [c for row in csv.reader(io.StringIO(out.getvalue())) for c in row]
    assert [c for c in cells if c.startswith(TRIGGERS)] == []
    path = tmp_path / "directory.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert read_records(path) == [record]


def test_security_headers_on_every_html_response(gateway: Gateway) -> None:
    with session_scope() as session:
        add_caseworker(session, "alice", PASSWORD, "system_admin", "Alice")
    case_id = gateway.create_case().json()["id"]
    client, _ = login(gateway, "alice")
    pages = {"/dashboard/login": True, "/dashboard": True, f"/dashboard/cases/{case_id}": True,
             f"/dashboard/cases/{case_id}/transcript": True, "/dashboard/queue/rows": True,
             "/simulator": False}
    for path, private in pages.items():
        response = client.get(path)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
        headers = response.headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, path
        assert "default-src 'self'" in policy and "script-src 'self' 'nonce-" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert (headers.get("cache-control") == "no-store") is private, path
        nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
        inline = re.findall(r"<(script|style)([^>]*)>(?!</script>)", response.text)
        assert all(f'nonce="{nonce}"' in attrs for tag, attrs in inline
                   if "src=" not in attrs), (path, inline)
        assert " style=" not in response.text and " onclick=" not in response.text


# --- Rasa and the action server --------------------------------------------------------------

@pytest.mark.integration
def test_rasa_and_the_action_server_refuse_calls_without_their_token(rasa_stack: Stack) -> None:
    rasa, settings = rasa_stack.rasa_url, rasa_stack.settings
    sender = f"t-{uuid.uuid4().hex}"
    calls = [("GET", "/status", None), ("GET", f"/conversations/{sender}/tracker", None),
             ("POST", "/model/parse", {"text": "hello"}),
             ("PUT", f"/conversations/{sender}/tracker/events", [])]
    for method, path, body in calls:
        for params in ({}, {"token": ""}, {"token": "wrong"}):
            refused = httpx.request(method, rasa + path, params=params, json=body, timeout=30)
            assert refused.status_code == 401, (method, path, params)
        answered = httpx.request(method, rasa + path, params=rasa_stack.rasa_auth, json=body,
                                 timeout=30)
        assert answered.status_code == 200, (method, path, answered.text)
    # the REST channel needs no token, and Rasa's calls to the action server carry theirs
    reply = httpx.post(f"{rasa}/webhooks/rest/webhook", timeout=30,
                       json={"sender": sender, "message": "/ping"})
    assert reply.status_code == 200
    actions = settings.action_server_url
    assert httpx.get(f"{actions}/actions", timeout=10).status_code == 401
    assert httpx.get(f"{actions}/actions", timeout=10, headers={
        TOKEN_HEADER: settings.action_server_token.get_secret_value()}).status_code == 200



def test_rotating_the_pseudonym_key_orphans_no_conversation(app_env: str) -> None:
    old_key, new_key = strong_secrets()["PSEUDONYM_KEY"], strong_secrets()["PSEUDONYM_KEY"]
    with session_scope() as session:
        before = users.get_or_create(session, "public", "Urotation", old_key)
    with session_scope() as session:
        after = users.get_or_create(session, "public", "Urotation", new_key)
        newcomer = users.get_or_create(session, "public", "Unewcomer", new_key)
    assert after.conversation_id == before.conversation_id  # the stored id is kept
    assert newcomer.conversation_id == conversation_id(new_key, "public", "Unewcomer")
    assert before.conversation_id == conversation_id(old_key, "public", "Urotation")


def test_the_translation_csv_is_neutralised_and_round_trips(tmp_path: Path) -> None:
    texts = tmp_path / "texts"
    shutil.copytree(TEXTS_DIR, texts)
    rows = list(csv.DictReader(io.StringIO(export_texts("lo", texts))))
    row = next(r for r in rows if not r["placeholders"])
    row["text"] = "=HYPERLINK(\"http://evil.example\")"  # a translator's (or attacker's) cell
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerow(row)
    assert import_texts(edited.getvalue(), texts).changed == 1
    exported = export_texts("lo", texts)
    cells = [c for line in csv.reader(io.StringIO(exported)) for c in line]
    assert "'" + row["text"] in cells
    assert [c for c in cells if c.startswith(TRIGGERS)] == []
    again = import_texts(exported, texts)  # the neutralised file imports back unchanged
    assert again.changed == 0
