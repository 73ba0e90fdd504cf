"""The internal API (action server -> gateway), both ends: the route dependency that checks
`Authorization: Bearer <SAPHAN_INTERNAL_API_TOKEN>` in constant time, and the one HTTP client
base that the action server's clients (`cases.client`, `actions.erasure`) build on."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, ClassVar, Self

import httpx
from fastapi import Header, HTTPException

from saphan.settings import Settings, get_settings


def require_internal_token(authorization: Annotated[str, Header()] = "") -> None:
    """Route dependency: 401 unless the request carries the internal bearer token."""
    expected = get_settings().internal_api_token.get_secret_value()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not expected or \
            not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


class InternalApiError(RuntimeError):
    """The gateway refused or did not answer (the message includes the HTTP status)."""


class InternalApiClient:
    """Calls `{gateway}{prefix}{path}` with the internal bearer token; JSON in and out."""

    prefix: ClassVar[str] = "/internal"
    error: ClassVar[type[InternalApiError]] = InternalApiError
    timeout_s: ClassVar[float] = 10.0

    def __init__(self, gateway_url: str, token: str, timeout_s: float | None = None) -> None:
        self.base = f"{gateway_url.rstrip('/')}{self.prefix}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout_s or self.timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings.gateway_url, settings.internal_api_token.get_secret_value())

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.request(method, f"{self.base}{path}", json=body,
                                                headers=self.headers)
        except httpx.HTTPError as exc:
            raise self.error(f"{self.prefix} unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise self.error(f"{self.prefix} answered HTTP {response.status_code}: "
                             f"{response.text[:300]}")
        return response.json()
