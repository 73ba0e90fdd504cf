"""Logging in to the dashboard over real HTTP and reading CSRF tokens from its pages."""

from __future__ import annotations

import re
from typing import Any

import httpx

from testsupport.cases import Gateway

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def login(gateway: Gateway, username: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A client with a session cookie, and the session's CSRF token."""
    client = gateway.client()
    page = client.get("/dashboard/login")
    response = client.post("/dashboard/login", data={
        "username": username, "password": password, "csrf": csrf_of(page.text)})
    assert response.status_code == 303, response.text
    queue = client.get("/dashboard")
    assert queue.status_code == 200
    return client, csrf_of(queue.text)


def browser_login(page: Any, gateway: Gateway, username: str,
                  password: str = PASSWORD) -> None:
    """Log `page` in through the login form (it lands on the queue)."""
    page.goto(f"{gateway.url}/dashboard/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")


def dashboard_routes(app: object) -> list[tuple[str, str]]:
    """(method, path) of every /dashboard route, read from the app's routes."""
    found = []
    for route in app.routes:  # type: ignore[attr-defined]
        contexts = route.effective_route_contexts() if hasattr(
            route, "effective_route_contexts") else [route]
        for ctx in contexts:
            path = getattr(ctx, "path", "")
            if path.startswith("/dashboard"):
                found += [(m, path) for m in sorted(getattr(ctx, "methods", None) or [])
                          if m != "HEAD"]
    return found
