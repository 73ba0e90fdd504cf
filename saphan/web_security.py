"""ASGI middlewares every web route gets: request body limits and security headers.

Pure ASGI (not `BaseHTTPMiddleware`) so a body is counted as it streams in and refused before
a handler has read it, and so streamed responses (server-sent events) pass through untouched.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Paths whose answers carry case data: never stored by a browser or proxy.
NO_STORE_PREFIXES = ("/dashboard",)
NO_STORE_SUFFIXES = (".csv",)


class BodyTooLarge(HTTPException):
    """The request body is larger than its route's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body larger than {limit} bytes")


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """Refuse request bodies over `limit_for(path)` bytes with 413: at once when the declared
    Content-Length is larger, else as soon as the streamed chunks add up to more (the handler's
    read fails; nothing larger than the limit is ever held in memory)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _send_json(send, 400, {"error": "invalid Content-Length"})
                return
            if int(declared) > limit:
                await _send_json(send, 413, {"error": f"body larger than {limit} bytes"})
                return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_json(send, 413, {"error": f"body larger than {limit} bytes"})


def content_security_policy(nonce: str) -> str:
    """No inline code except elements carrying this response's nonce; nothing from elsewhere;
    the page cannot be framed."""
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """Security headers on every response; a per-response CSP nonce is put in
    `request.state.csp_nonce` for templates' inline `<script>`/`<style>` elements.

    `relaxed_paths` (the API docs, which load FastAPI's Swagger/ReDoc pages) keep every
    header but the CSP's script/style restriction."""

    def __init__(self, app: ASGIApp, relaxed_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.relaxed_paths = relaxed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        path: str = scope["path"]
        no_store = path.startswith(NO_STORE_PREFIXES) or path.endswith(NO_STORE_SUFFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"cache-control" or not no_store]
                headers += [(b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"x-frame-options", b"DENY"),
                            (b"cross-origin-opener-policy", b"same-origin")]
                if path not in self.relaxed_paths:
                    headers.append((b"content-security-policy",
                                    content_security_policy(nonce).encode()))
                else:
                    headers.append((b"content-security-policy", b"frame-ancestors 'none'"))
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
