"""Send messages through the LINE Messaging API (line-bot-sdk v3, async client).

Reply first; the caller pushes when the reply token is expired or invalid. 429/5xx are retried
with exponential backoff (honouring `Retry-After`); another 4xx is final (`LineRejected`); pushes
carry `X-Line-Retry-Key` so a retry never duplicates a message
(LINE answers 409 when that key was already accepted). A 429 whose body says the monthly limit
is reached is not a rate limit: retrying within seconds cannot help (`QuotaExhausted`).

Proxies: the SDK's aiohttp session has `trust_env=True`, which re-reads the proxy variables
and `~/.netrc` on every request (a few per cent of the gateway's CPU per message). Each
channel's client instead gets one session with `trust_env=False` and the proxy for the LINE
API host resolved once from the environment when the client is made (`HTTPS_PROXY`/
`HTTP_PROXY`, `NO_PROXY`, proxy credentials in the URL or `~/.netrc`): a proxy still works,
but a change to those variables needs a gateway restart.

Replies and pushes (one or more per answered message) are posted as JSON on that session
(`_send`) instead of through the SDK's `reply_message`/`push_message`, which build pydantic
request models from our dicts and serialise them back (~1 ms of CPU per send: a good part of
the gateway's cost per message); the dicts are already LINE's wire format
(`saphan.line_messages`). Errors are raised as the SDK's `ApiException` (status, body,
headers), so the retry policy reads them as before. The other calls (profile, loading
animation, rich menus) still go through the SDK.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from yarl import URL

from gateway.channels import Channel
from saphan.settings import Settings

log = logging.getLogger("saphan.gateway.line")
#: What LINE's 429 body says when the channel's monthly message limit is used up (LINE
#: developers FAQ and "Handle HTTP status code 429 errors": "You have reached your monthly
#: limit."); other 429s are rate limits, retried after seconds.
MONTHLY_LIMIT_MESSAGE = "you have reached your monthly limit"


class LineSendError(RuntimeError):
    """LINE did not accept a push after all retries; the event stays queued."""


class LineRejected(LineSendError):
    """LINE refused a message for good (a 4xx other than 409/429): sending it again cannot
    succeed, so the event is dead-lettered instead of blocking the person's queue."""

    def __init__(self, status: int) -> None:
        super().__init__(f"LINE refused the message (HTTP {status})")
        self.status = status


class QuotaExhausted(LineSendError):
    """LINE refused a push because the channel's monthly message limit is reached: the push
    is held (kept) until the quota resets, not retried every few seconds."""


def monthly_limit_reached(exc: ApiException) -> bool:
    """Whether LINE's error is the monthly limit (429 with that message), not a rate limit."""
    if exc.status != 429 or not exc.body:
        return False
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body)
    return MONTHLY_LIMIT_MESSAGE in body.casefold()


#: The Messaging API path of each send call (`LineSender._send`).
SEND_PATHS = {"reply": "/v2/bot/message/reply", "push": "/v2/bot/message/push"}


def _retryable(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


class LineSender:
    """One SDK client per channel, created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, AsyncApiClient] = {}
        self._apis: dict[str, AsyncMessagingApi] = {}  # built once per channel, not per send

    def _api(self, channel: Channel) -> AsyncMessagingApi:
        api = self._apis.get(channel.name)
        if api is None:
            client = self._clients[channel.name] = self._client(channel)
            api = self._apis[channel.name] = AsyncMessagingApi(client)
        return api

    def _client(self, channel: Channel) -> AsyncApiClient:
        """The SDK client with the environment's proxy read once (see the module docstring)."""
        config = Configuration(host=self.settings.line_api_base_url,
                               access_token=channel.access_token)
        proxy, headers = env_proxy(self.settings.line_api_base_url)
        if proxy is not None:
            config.proxy, config.proxy_headers = proxy, headers
        client = AsyncApiClient(config)
        rest = client.rest_client
        sdk_session = rest.pool_manager  # trust_env=True: per request proxy and netrc reads
        rest.pool_manager = aiohttp.ClientSession(connector=sdk_session.connector,
                                                  trust_env=False)
        sdk_session.detach()  # the connector (and its TLS settings) now belong to ours
        rest.proxy, rest.proxy_headers = config.proxy, config.proxy_headers
        return client

    async def _send(self, channel: Channel, call: str, body: dict[str, Any],
                    headers: dict[str, str] | None = None) -> None:
        """POST one send (`call`: "reply" or "push") as JSON on the channel's session;
        `ApiException` (with status, body and headers) when LINE answers other than 2xx."""
        self._api(channel)  # the channel's client and session, made on first use
        rest = self._clients[channel.name].rest_client
        async with rest.pool_manager.post(
            f"{self.settings.line_api_base_url}{SEND_PATHS[call]}",
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Authorization": f"Bearer {channel.access_token}",
                     "Content-Type": "application/json", **(headers or {})},
            proxy=rest.proxy, proxy_headers=rest.proxy_headers,
        ) as response:
            data = await response.read()
            if response.status >= 300:
                exc = ApiException(status=response.status, reason=response.reason)
                exc.body, exc.headers = data, response.headers
                raise exc

    async def reply(self, channel: Channel, reply_token: str, messages: list[dict]) -> bool:
        """True when LINE accepted the reply; False when it did not (token expired/invalid,
        or LINE failed), so the caller pushes instead."""
        try:
            await self._send(channel, "reply", {"replyToken": reply_token, "messages": messages})
            return True
        except ApiException as exc:
            log.info("reply on %s not accepted (HTTP %s); will push", channel.name, exc.status)
            return False
        except Exception as exc:  # network errors: push with a retry key is the safe path
            log.warning("reply on %s failed: %s; will push", channel.name, type(exc).__name__)
            return False

    async def push(
        self, channel: Channel, user_id: str, messages: list[dict], retry_key: str
    ) -> None:
        """Push with retries on 429/5xx/network errors; raises `LineSendError` at the end."""
        body = {"to": user_id, "messages": messages}
        attempts = max(1, self.settings.line_send_attempts)
        for attempt in range(attempts):
            try:
                await self._send(channel, "push", body, {"X-Line-Retry-Key": retry_key})
                return
            except ApiException as exc:
                if exc.status == 409:  # this retry key was already accepted: sent before
                    return
                if monthly_limit_reached(exc):
                    raise QuotaExhausted("LINE's monthly message limit is reached") from exc
                if not _retryable(exc.status):
                    raise LineRejected(int(exc.status)) from exc
                error = f"HTTP {exc.status}"
                delay = _retry_after(exc.headers)
            except Exception as exc:
                error, delay = type(exc).__name__, None
            if attempt + 1 < attempts:
                await asyncio.sleep(delay if delay is not None else 0.2 * 2**attempt)
        raise LineSendError(f"push failed after {attempts} attempts ({error})")

    async def show_loading(self, channel: Channel, user_id: str, seconds: int) -> bool:
        """Show LINE's loading animation in the 1:1 chat with `user_id` for `seconds` (it
        disappears when the answer arrives). Free; a failure only means no animation."""
        request = ShowLoadingAnimationRequest.from_dict({"chatId": user_id,
                                                         "loadingSeconds": seconds})
        try:
            await self._api(channel).show_loading_animation(request)
            return True
        except Exception as exc:
            log.info("loading animation on %s not shown: %s", channel.name, type(exc).__name__)
            return False

    async def language_of(self, channel: Channel, user_id: str) -> str | None:
        """The user's LINE language from their profile, or None when unavailable."""
        try:
            profile = await self._api(channel).get_profile(user_id)
        except Exception as exc:
            log.info("profile on %s unavailable: %s", channel.name, type(exc).__name__)
            return None
        return profile.language

    async def link_rich_menu(self, channel: Channel, user_id: str, menu_name: str) -> bool:
        """Show the user the channel's rich menu named `menu_name` (made by `saphan line
        setup`); False when it does not exist or LINE refused (the default menu stays)."""
        try:
            api = self._api(channel)
            menus = (await api.get_rich_menu_list()).richmenus
            menu_id = next((m.rich_menu_id for m in menus if m.name == menu_name), None)
            if menu_id is None:
                return False
            await api.link_rich_menu_id_to_user(user_id, menu_id)
            return True
        except Exception as exc:
            log.info("rich menu for a user on %s not set: %s", channel.name, type(exc).__name__)
            return False

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        self._apis.clear()


def env_proxy(url: str) -> tuple[str | None, dict[str, str] | None]:
    """The proxy the environment names for `url` (as aiohttp's `trust_env` would find it)
    and its Proxy-Authorization header, or (None, None)."""
    try:
        proxy, auth = get_env_proxy_for_url(URL(url))
    except LookupError:
        return None, None
    return str(proxy), ({"Proxy-Authorization": auth.encode()} if auth is not None else None)


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("Retry-After") if headers else None
        return min(float(value), 30.0) if value else None
    except (TypeError, ValueError):
        return None
