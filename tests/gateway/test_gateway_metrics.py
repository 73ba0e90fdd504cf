"""Operations endpoints of the real app against the fake LINE platform, Rasa unreachable
(SQLite and PostgreSQL): readiness without Rasa, /metrics (protected, true numbers, no
personal data), LINE's monthly quota; and JSON logs of a real gateway process."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from gateway_helpers import SECRET, gateway_process
from gateway_tcp_proxy import DOWN, FORWARD, TcpProxy
from sqlalchemy.engine import make_url

from gateway.app import create_app
from gateway.channels import Channel
from gateway.line_quota import Quota, QuotaWatcher
from gateway.metrics import FAMILIES, Metrics
from gateway.signature import sign
from saphan.db import get_engine, reset_caches
from saphan.logging import JsonFormatter, TextFormatter, log_ids, redact
from saphan.settings import Settings, get_settings
from testsupport.fake_line import FakeLine
from testsupport.polling import wait_for
from testsupport.stack import free_port

REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
LINE_USER = "U" + "4f" * 16  # shaped like a real LINE user id
CASEWORKER = "U" + "77" * 16
INTERNAL = {"Authorization": f"Bearer {get_settings().internal_api_token.get_secret_value()}"}
#: One sample line of the text format: name, optional {labels}, value.
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
                    r',?)*)\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(body: str) -> Series:
    """The samples of a Prometheus text exposition; fails on any malformed line, a sample
    whose family has no TYPE before it, or a repeated series."""
    series: Series = {}
    typed: set[str] = set()
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("# HELP ") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"malformed line: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or family in typed, f"{name} has no TYPE"
        key = (name, tuple(sorted(LABEL.findall(labels or ""))))
        assert key not in series, f"repeated series {key}"
        series[key] = float(value)
    return series


def value(series: Series, name: str, **labels: str) -> float:
    return series[(name, tuple(sorted(labels.items())))]


def scrape(client: TestClient) -> tuple[str, Series]:
    response = client.get("/metrics", headers=INTERNAL)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text, parse(response.text)


class JsonLines(logging.Handler):
    """Keeps each record as its JSON line, formatted when written (with the ids bound then)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("gateway"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def json_lines(logger: str) -> Iterator[list[str]]:
    """The JSON log lines `logger` writes inside the block."""
    handler = JsonLines()
    target = logging.getLogger(logger)
    target.addHandler(handler)
    try:
        yield handler.lines
    finally:
        target.removeHandler(handler)


def post(client: TestClient, fake_line: FakeLine, event: dict) -> None:
    body = fake_line.webhook_body([event])
    response = client.post("/line/public/webhook", content=body,
                           headers={"X-Line-Signature": sign(SECRET["public"], body)})
    assert response.status_code == 200


@pytest.mark.usefixtures("gateway_env")
def test_ready_and_taking_webhooks_while_rasa_is_down(fake_line: FakeLine) -> None:
    with TestClient(create_app()) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["checks"]["rasa"]["status"] == "down"
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.json()
        assert ready.json() == {"status": "ready", "checks": {
            "database": {"status": "up"}, "workers": {"status": "up"}}}
        assert client.get("/livez").json() == {"status": "alive"}
        post(client, fake_line, fake_line.text_event(LINE_USER, "hello"))
        fake_line.wait_for(lambda: fake_line.messages_to(LINE_USER), timeout=15)  # fallback

        client.portal.call(client.app.state.workers.stop)  # type: ignore[attr-defined, union-attr]
        stopped = client.get("/readyz")
        assert stopped.status_code == 503
        assert stopped.json()["checks"]["workers"] == {"status": "down", "error": "not running"}
        assert client.get("/livez").status_code == 200


def test_not_ready_while_the_database_is_cut(gateway_env: str, fake_line: FakeLine,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL behind a TCP proxy that refuses connections: not ready, still alive; the
    metrics say which part is down; ready again once the database is back."""
    if not gateway_env.startswith("postgresql"):
        pytest.skip("needs a database server to cut (PostgreSQL)")
    url = make_url(gateway_env)
    proxy = TcpProxy(url.port or 5432, free_port()).start()
    monkeypatch.setenv("SAPHAN_DATABASE_URL",
                       url.set(port=proxy.port).render_as_string(hide_password=False))
    reset_caches()
    try:
        with TestClient(create_app()) as client:
            assert client.get("/readyz").status_code == 200
            proxy.set_mode(DOWN)
            get_engine().dispose()  # pooled connections go, as when the server restarts
            cut = client.get("/readyz")
            assert cut.status_code == 503
            assert cut.json()["checks"]["database"]["status"] == "down"
            assert cut.json()["checks"]["workers"] == {"status": "up"}
            assert client.get("/livez").status_code == 200
            _, series = scrape(client)
            assert value(series, "saphan_up", part="database") == 0
            assert ("saphan_inbox_dead_letters", ()) not in series  # unknown, not 0
            with json_lines("saphan.gateway.webhook") as lines:  # LINE redelivers it later
                body = fake_line.webhook_body([fake_line.text_event(LINE_USER, "hello")])
                refused = client.post("/line/public/webhook", content=body, headers={
                    "X-Line-Signature": sign(SECRET["public"], body)})
            assert refused.status_code == 503
            [line] = [json.loads(x) for x in lines if "webhook not stored" in x]
            assert line["request_id"] == refused.headers["x-request-id"]
            proxy.set_mode(FORWARD)
            assert wait_for(lambda: client.get("/readyz").status_code == 200, 20,
                            lambda: "not ready again")
    finally:
        proxy.close()


@pytest.mark.usefixtures("gateway_env")
def test_metrics_need_a_token_and_are_not_in_the_public_schema(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app()) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/metrics", headers=INTERNAL).status_code == 200
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    monkeypatch.setenv("SAPHAN_METRICS_TOKEN", "m" * 40)
    reset_caches()
    with TestClient(create_app()) as client:
        assert client.get("/metrics", headers=INTERNAL).status_code == 401  # its own token now
        own = {"Authorization": f"Bearer {'m' * 40}"}
        assert client.get("/metrics", headers=own).status_code == 200


@pytest.mark.usefixtures("gateway_env")
def test_metrics_follow_what_happened(fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa down (errors, latency, fallback), a message LINE refuses (dead letter, send errors
    by status, urgent case), an event still queued; no LINE id or text in the scrape."""
    monkeypatch.setenv("SAPHAN_INBOX_RETRY_BASE_S", "60")  # the first event stays pending
    monkeypatch.setenv("SAPHAN_INBOX_RETRY_MAX_S", "60")
    monkeypatch.setenv("SAPHAN_CASEWORKER_LINE_RECIPIENTS",
                       json.dumps([{"channel": "officer", "user_id": CASEWORKER}]))
    reset_caches()
    with TestClient(create_app()) as client:
        _, before = scrape(client)
        assert value(before, "saphan_rasa_errors_total") == 0
        assert value(before, "saphan_up", part="database") == 1
        assert value(before, "saphan_up", part="rasa") == 0
        assert value(before, "saphan_cases_open", priority="urgent") == 0

        post(client, fake_line, fake_line.text_event(LINE_USER, "hello there"))
        fake_line.wait_for(lambda: fake_line.messages_to(LINE_USER), timeout=15)
        fake_line.fail_next(REPLY, 400)
        fake_line.fail_next(PUSH, 400)
        emergency = "help they are beating me 0812345678"
        post(client, fake_line, fake_line.text_event("U" + "5e" * 16, emergency))

        def settled() -> Series | None:
            series = scrape(client)[1]
            return series if value(series, "saphan_inbox_dead_letters") == 1 and \
                value(series, "saphan_cases_open", priority="urgent") == 1 else None
        series = wait_for(settled, 20, lambda: "no dead letter and urgent case")
        fake_line.wait_for(lambda: fake_line.messages_to(CASEWORKER), timeout=15)
        series = scrape(client)[1]
        body = scrape(client)[0]
    assert value(series, "saphan_rasa_errors_total") >= 2
    assert value(series, "saphan_rasa_request_duration_seconds_count", outcome="error") >= 2
    assert value(series, "saphan_rasa_request_duration_seconds_bucket",
                 outcome="error", le="+Inf") >= 2
    assert value(series, "saphan_line_send_errors_total", call="reply", status="400") == 1
    assert value(series, "saphan_line_send_errors_total", call="push", status="400") == 1
    assert value(series, "saphan_line_sends_total", call="reply") >= 1
    assert value(series, "saphan_inbox_events", status="pending") == 1  # waits for Rasa
    assert value(series, "saphan_inbox_oldest_pending_age_seconds") > 0
    assert value(series, "saphan_outbox_unsent_batches", state="failed") == 1
    assert value(series, "saphan_urgent_cases_unclaimed") == 1
    assert value(series, "saphan_urgent_unclaimed_oldest_age_seconds") >= 0
    assert value(series, "saphan_notifications_held") == 0
    assert value(series, "saphan_notifications_sent") == 1  # the caseworker was told
    for name in FAMILIES:
        assert f"# TYPE {name} " in body
    for personal in (LINE_USER, "5e" * 16, CASEWORKER, "hello there", "beating", "0812345678"):
        assert personal not in body


def test_line_quota_is_read_measured_and_warned_about(
        fake_line: FakeLine, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(line_api_base_url=fake_line.url, line_quota_warn_ratio=0.8)
    metrics = Metrics()
    watcher = QuotaWatcher(settings, [Channel("public", "public", "s", "token-public"),
                                      Channel("simulator-public", "public")], metrics)
    assert [c.name for c in watcher.channels] == ["public"]  # the simulator has no quota

    async def scenario() -> None:
        fake_line.set_quota(1000, used_before=790)
        quotas = await watcher.check()
        assert quotas["public"] == Quota(1000, 790) and not caplog.records
        httpx.post(f"{fake_line.url}{PUSH}", json={"to": LINE_USER, "messages": [{}]},
                   headers={"Authorization": "Bearer token-public"}).raise_for_status()
        fake_line.set_quota(1000, used_before=799)  # + the push above = 800 = 80 %
        assert (await watcher.check())["public"] == Quota(1000, 800)
        await watcher.check()  # still above: warned once per crossing
        fake_line.set_quota(None)
        fake_line.fail_next("/v2/bot/message/quota", 500)
        assert await watcher.check() == {}
        assert (await watcher.check())["public"] == Quota(None, 1)
        await watcher.stop()

    with caplog.at_level(logging.WARNING, logger="saphan.gateway.line_quota"):
        asyncio.run(scenario())
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2, warned
    assert "public used 800 of its 1000 messages this month (80%)" in warned[0]
    assert "quota of channel public unavailable: HTTP 500" in warned[1]
    assert metrics.value("saphan_line_quota_check_errors_total", channel="public") == 1
    series = parse(metrics.render([]))
    assert value(series, "saphan_line_quota_limit", channel="public") == -1  # no limit now
    assert value(series, "saphan_line_quota_used", channel="public") == 1
    calls = fake_line.quota_calls()
    assert {c.headers["authorization"] for c in calls} == {"Bearer token-public"}
    assert [c.status for c in calls].count(500) == 1


def test_redaction_and_log_formats() -> None:
    record = logging.LogRecord("saphan.x", logging.WARNING, __file__, 1,
                               "user %s called +66 81 234 5678 and 02-123-4567 at 2026-12-07 "
                               "09:47:27, hotline 1300, event 12", (LINE_USER,), None)
    text = TextFormatter().format(record)
    assert LINE_USER not in text and "5678" not in text and "4567" not in text
    assert "[line-id]" in text and "2026-12-07 09:47:27" in text and "hotline 1300" in text
    with log_ids(event_id=12):
        line = json.loads(JsonFormatter("gateway").format(record))
    assert set(line) == {"time", "level", "logger", "message", "process", "pid", "event_id"}
    assert (line["level"], line["logger"], line["process"], line["event_id"]) == \
        ("WARNING", "saphan.x", "gateway", "12")
    assert redact(LINE_USER) == "[line-id]" and redact("C" + "0" * 32) == "[line-id]"


def test_real_gateway_writes_json_logs_with_request_ids(
        app_env: str, fake_line: FakeLine, tmp_path: Path) -> None:
    """`SAPHAN_LOG_FORMAT=json`: a real gateway process writes one JSON object per line, with
    request ids echoed; no LINE id or text in the log."""
    settings = Settings(database_url=app_env, gateway_port=free_port(), log_format="json",
                        line_api_base_url=fake_line.url, log_level="INFO",
                        rasa_url=f"http://127.0.0.1:{free_port()}",
                        line_channels=[{"name": "public", "audience": "public",
                                        "secret": SECRET["public"], "access_token": "t"}])
    log = tmp_path / "gateway.log"
    with gateway_process(settings, log):
        event = fake_line.text_event(LINE_USER, "my secret words")
        response = fake_line.send_webhook(settings.gateway_url, "public", SECRET["public"], [event])
        assert response.status_code == 200 and len(response.headers["x-request-id"]) == 32
        given = httpx.get(f"{settings.gateway_url}/readyz", headers={"X-Request-ID": "probe-1"})
        assert given.headers["x-request-id"] == "probe-1"
        fake_line.wait_for(lambda: fake_line.messages_to(LINE_USER), timeout=20)
        wait_for(lambda: "attempt" in log.read_text(encoding="utf-8"), 20, lambda: "no retry log")
        time.sleep(0.2)
    lines = [line.removeprefix("[gateway] ") for line in log.read_text().splitlines()
             if line.startswith("[gateway] ")]
    assert lines
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in entries:
        assert {"time", "level", "logger", "message", "process", "pid"} <= set(entry)
        assert entry["process"] == "gateway"
    assert any(e["logger"] == "saphan.gateway" and "ready" in e["message"] for e in entries)
    assert any(e["logger"] == "saphan.gateway.processor" for e in entries)
    everything = log.read_text(encoding="utf-8")
    assert LINE_USER not in everything and "secret words" not in everything
