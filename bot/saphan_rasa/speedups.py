"""Per-message speed-ups of Rasa 3.6, applied once by `saphan/rasa_launch.py` (issue 22).

- `Event.resolve_by_type` walks every subclass of `Event` (with `inspect.isabstract`) for each
  event it deserialises: a dict from type name to class gives the same class.
- `EndpointConfig.request` opens a new aiohttp session, so a new TCP connection, for every
  action-server call: here each endpoint keeps one session (its idle connections are closed
  by the client well before rasa-sdk's keep-alive timeout of 120 s).
- With `enable_selective_domain` (Rasa's own option, bot/endpoints.yml) only `validate_*`
  actions get the domain (serialised on each call: the largest part of most calls). rasa-sdk
  3.21 then wants a `domain_digest` matching the domain it holds and answers 449 without one
  (Rasa 3.6 neither sends one nor retries): each call carries the digest here, and a 449 (the
  action did not run: the action server has no or another domain, e.g. after a restart) is
  sent once more with the domain (`send_domain_digest`).
"""

from __future__ import annotations

import asyncio
from typing import Any

#: Idle pooled connections to an endpoint are closed after this many seconds (rasa-sdk's
#: server after 120 s: closing first avoids sending on a connection the server is closing).
KEEPALIVE_S = 15.0


def cache_event_classes() -> None:
    """`Event.resolve_by_type` with a cache of the classes it found (same first match)."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, "saphan_cached", False):
        return
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    resolve_by_type.saphan_cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


class _Kept:
    """`async with` on a shared session that must stay open after the block."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def keep_endpoint_sessions() -> None:
    """One aiohttp session (connection pool) per endpoint and event loop, reused by
    `EndpointConfig.request` instead of a new session per request."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    if getattr(EndpointConfig.session, "saphan_kept", False):
        return

    def session(self: EndpointConfig) -> Any:
        loop = asyncio.get_running_loop()
        kept = getattr(self, "_saphan_session", None)
        if kept is None or kept.closed or getattr(self, "_saphan_loop", None) is not loop:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            kept = aiohttp.ClientSession(
                headers=self.headers, auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S))
            self._saphan_session, self._saphan_loop = kept, loop
        return _Kept(kept)

    session.saphan_kept = True  # type: ignore[attr-defined]
    EndpointConfig.session = session  # type: ignore[method-assign]


def send_domain_digest() -> None:
    """Every action call names its domain by digest; on 449 it is repeated with the domain."""
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import ClientResponseError

    if getattr(RemoteAction.run, "saphan_digest", False):
        return
    call_format, run = RemoteAction._action_call_format, RemoteAction.run

    def _action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
        result = call_format(self, tracker, domain)
        digest = getattr(domain, "_saphan_digest", None)
        if digest is None:
            digest = domain.fingerprint()
            domain._saphan_digest = digest
        result["domain_digest"] = digest
        if getattr(self, "_saphan_with_domain", False) and "domain" not in result:
            result["domain"] = domain.as_dict()
        return result

    async def run_with_domain_on_449(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        try:
            return await run(self, *args, **kwargs)
        except Exception as exc:
            cause = exc.__cause__
            if not (isinstance(cause, ClientResponseError) and cause.status == 449):
                raise
        self._saphan_with_domain = True
        return await run(self, *args, **kwargs)

    run_with_domain_on_449.saphan_digest = True  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
    RemoteAction.run = run_with_domain_on_449  # type: ignore[method-assign]


def apply() -> None:
    cache_event_classes()
    keep_endpoint_sessions()
    send_domain_digest()
