"""A fake LINE platform for tests: the Messaging API calls the gateway uses (reply, push,
profile, rich menu, monthly quota and its limit, loading animation), recorded; and LINE's side
of webhooks (signed events to the gateway).

Runs as a real HTTP server on a loopback port (uvicorn in a thread):

    with FakeLine() as line:
        settings = ...(line_api_base_url=line.url)
        line.send_webhook(gateway_url, "public", secret, [line.text_event("U1", "hello")])
        line.wait_for(lambda: line.messages_to("U1"))
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from gateway.signature import sign
from testsupport.polling import wait_for
from testsupport.served import ServedApp

#: LINE's 429 message when the channel's monthly message limit is used up.
MONTHLY_LIMIT = "You have reached your monthly limit."


@dataclass
class Call:
    """One API call the gateway made."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class FakeLineState:
    calls: list[Call] = field(default_factory=list)
    reply_tokens: dict[str, str] = field(default_factory=dict)  # token -> user id
    used_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    accepted_retry_keys: set[str] = field(default_factory=set)
    failures: list[tuple[str, int]] = field(default_factory=list)  # (path prefix, status)
    lost_responses: list[str] = field(default_factory=list)  # path prefixes
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    rich_menus: dict[str, dict] = field(default_factory=dict)
    rich_menu_owner: dict[str, str] = field(default_factory=dict)  # menu id -> access token
    rich_menu_images: dict[str, bytes] = field(default_factory=dict)
    default_rich_menus: dict[str, str] = field(default_factory=dict)  # access token -> menu id
    user_rich_menus: dict[str, str] = field(default_factory=dict)  # user id -> menu id
    quota_limit: int | None = None  # monthly message limit; None: type "none" (no limit)
    quota_used_before: int = 0  # messages counted this month before the accepted pushes
    quota_calls: list[Call] = field(default_factory=list)  # kept apart from sending calls
    quota_enforced: bool = False  # pushes beyond the limit get LINE's monthly-limit 429
    lock: threading.Lock = field(default_factory=threading.Lock)


def _app(state: FakeLineState) -> FastAPI:
    app = FastAPI()

    def record(request: Request, body: Any, status: int) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()
                   if k.lower() in ("authorization", "x-line-retry-key", "content-type")}
        with state.lock:
            state.calls.append(Call(request.method, request.url.path, headers, body, status))

    def injected_failure(path: str) -> int | None:
        with state.lock:
            for i, (prefix, status) in enumerate(state.failures):
                if path.startswith(prefix):
                    del state.failures[i]
                    return status
        return None

    def lose_response(path: str) -> bool:
        with state.lock:
            for i, prefix in enumerate(state.lost_responses):
                if path.startswith(prefix):
                    del state.lost_responses[i]
                    return True
        return False

    def token(request: Request) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def own_menu(request: Request, menu_id: str) -> bool:
        return state.rich_menu_owner.get(menu_id) == token(request)

    def error(request: Request, body: Any, status: int, message: str) -> JSONResponse:
        record(request, body, status)
        return JSONResponse({"message": message}, status_code=status)

    @app.post("/v2/bot/message/reply")
    async def reply(request: Request) -> JSONResponse:
        body = await request.json()
        if (status := injected_failure(request.url.path)) is not None:
            return error(request, body, status, "injected failure")
        token = body.get("replyToken")
        with state.lock:
            ok = (token in state.reply_tokens and token not in state.used_tokens
                  and token not in state.expired_tokens)
            if ok:
                state.used_tokens.add(token)
        if not ok:
            return error(request, body, 400, "Invalid reply token")
        if not 1 <= len(body.get("messages", [])) <= 5:
            return error(request, body, 400, "messages must hold 1 to 5 items")
        record(request, body, 200)
        return JSONResponse({"sentMessages": [{"id": uuid.uuid4().hex}]})

    def pushed() -> int:
        with state.lock:
            return sum(1 for c in state.calls
                       if c.path == "/v2/bot/message/push" and c.status == 200)

    @app.post("/v2/bot/message/push")
    async def push(request: Request) -> JSONResponse:
        body = await request.json()
        key = request.headers.get("x-line-retry-key")
        if (status := injected_failure(request.url.path)) is not None:
            return error(request, body, status, "injected failure")
        if state.quota_enforced and state.quota_limit is not None \
                and state.quota_used_before + pushed() >= state.quota_limit:
            return error(request, body, 429, MONTHLY_LIMIT)
        with state.lock:
            duplicate = key is not None and key in state.accepted_retry_keys
            if key and not duplicate:
                state.accepted_retry_keys.add(key)
        if duplicate:
            return error(request, body, 409, "The retry key is already accepted")
        if not 1 <= len(body.get("messages", [])) <= 5:
            return error(request, body, 400, "messages must hold 1 to 5 items")
        record(request, body, 200)
        if lose_response(request.url.path):
            return JSONResponse({"message": "response lost"}, status_code=500)
        return JSONResponse({"sentMessages": [{"id": uuid.uuid4().hex}]})

    @app.get("/v2/bot/profile/{user_id}")
    async def profile(user_id: str, request: Request) -> JSONResponse:
        found = state.profiles.get(user_id)
        if found is None:
            return error(request, None, 404, "Not found")
        record(request, None, 200)
        return JSONResponse({"userId": user_id, **found})

    def record_quota(request: Request, status: int) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()
                   if k.lower() == "authorization"}
        with state.lock:
            state.quota_calls.append(Call(request.method, request.url.path, headers, None,
                                          status))

    def quota_failure(request: Request) -> JSONResponse | None:
        """The injected failure of a quota endpoint (recorded), or None."""
        if (status := injected_failure(request.url.path)) is None:
            return None
        record_quota(request, status)
        return JSONResponse({"message": "injected failure"}, status_code=status)

    @app.get("/v2/bot/message/quota")
    async def quota(request: Request) -> JSONResponse:
        if (failed := quota_failure(request)) is not None:
            return failed
        record_quota(request, 200)
        if state.quota_limit is None:
            return JSONResponse({"type": "none"})
        return JSONResponse({"type": "limited", "value": state.quota_limit})

    @app.get("/v2/bot/message/quota/consumption")
    async def quota_consumption(request: Request) -> JSONResponse:
        """Pushes count once per recipient (replies are free), as on LINE."""
        if (failed := quota_failure(request)) is not None:
            return failed
        record_quota(request, 200)
        return JSONResponse({"totalUsage": state.quota_used_before + pushed()})

    @app.post("/v2/bot/chat/loading/start")
    async def loading(request: Request) -> JSONResponse:
        """LINE's loading animation: 1:1 chats (a user id), 5-60 s in steps of 5; 202."""
        body = await request.json()
        seconds = body.get("loadingSeconds", 20)
        chat = body.get("chatId")
        if not isinstance(chat, str) or not chat.startswith("U"):
            return error(request, body, 400, "chatId must be a user id")
        if not isinstance(seconds, int) or not 5 <= seconds <= 60 or seconds % 5:
            return error(request, body, 400, "loadingSeconds must be 5-60, a multiple of 5")
        record(request, body, 202)
        return JSONResponse({}, status_code=202)

    @app.post("/v2/bot/richmenu")
    async def create_rich_menu(request: Request) -> JSONResponse:
        body = await request.json()
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        with state.lock:
            state.rich_menus[menu_id] = body
            state.rich_menu_owner[menu_id] = token(request)
        record(request, body, 200)
        return JSONResponse({"richMenuId": menu_id})

    @app.get("/v2/bot/richmenu/list")
    async def list_rich_menus(request: Request) -> JSONResponse:
        record(request, None, 200)
        return JSONResponse({"richmenus": [{"richMenuId": k, **v}
                                           for k, v in state.rich_menus.items()
                                           if own_menu(request, k)]})

    @app.delete("/v2/bot/richmenu/{menu_id}")
    async def delete_rich_menu(menu_id: str, request: Request) -> JSONResponse:
        with state.lock:
            found = state.rich_menus.pop(menu_id, None) if own_menu(request, menu_id) else None
        if found is None:
            return error(request, None, 404, "Not found")
        record(request, None, 200)
        return JSONResponse({})

    @app.post("/v2/bot/richmenu/{menu_id}/content")
    async def upload_image(menu_id: str, request: Request) -> JSONResponse:
        data = await request.body()
        if not own_menu(request, menu_id):
            return error(request, None, 404, "Not found")
        if request.headers.get("content-type") not in ("image/png", "image/jpeg"):
            return error(request, None, 400, "content type must be image/png or image/jpeg")
        state.rich_menu_images[menu_id] = data
        record(request, {"bytes": len(data)}, 200)
        return JSONResponse({})

    @app.post("/v2/bot/user/all/richmenu/{menu_id}")
    async def set_default(menu_id: str, request: Request) -> JSONResponse:
        if not own_menu(request, menu_id):
            return error(request, None, 404, "Not found")
        state.default_rich_menus[token(request)] = menu_id
        record(request, None, 200)
        return JSONResponse({})

    @app.post("/v2/bot/user/{user_id}/richmenu/{menu_id}")
    async def link_user_menu(user_id: str, menu_id: str, request: Request) -> JSONResponse:
        if not own_menu(request, menu_id):
            return error(request, None, 404, "Not found")
        state.user_rich_menus[user_id] = menu_id
        record(request, None, 200)
        return JSONResponse({})

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def unknown(path: str, request: Request) -> Response:
        return error(request, None, 404, f"fake LINE does not implement /{path}")

    return app


class FakeLine(ServedApp):
    """The fake platform as a real HTTP server on 127.0.0.1 (context manager)."""

    def __init__(self, port: int | None = None) -> None:
        self.state = FakeLineState()
        super().__init__(_app(self.state), lifespan="off", port=port)

    # -- what the gateway did ------------------------------------------------------------
    def calls(self, path_prefix: str = "", status: int | None = 200) -> list[Call]:
        with self.state.lock:
            return [c for c in self.state.calls if c.path.startswith(path_prefix)
                    and (status is None or c.status == status)]

    def replies(self) -> list[Call]:
        return self.calls("/v2/bot/message/reply")

    def pushes(self) -> list[Call]:
        return self.calls("/v2/bot/message/push")

    def messages_to(self, user_id: str) -> list[tuple[str, dict]]:
        """Delivered messages to `user_id` in order, as (reply|push, message)."""
        out: list[tuple[str, dict]] = []
        for call in self.calls("/v2/bot/message/"):
            if call.path.endswith("/push") and call.body.get("to") != user_id:
                continue
            if call.path.endswith("/reply") and \
                    self.state.reply_tokens.get(call.body.get("replyToken")) != user_id:
                continue
            kind = "push" if call.path.endswith("/push") else "reply"
            out.extend((kind, m) for m in call.body["messages"])
        return out

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll `condition` until it is truthy; return its value or raise TimeoutError."""
        return wait_for(condition, timeout, lambda: f"calls: {self.state.calls!r}")

    # -- controls ------------------------------------------------------------------------
    def expire_reply_token(self, token: str) -> None:
        self.state.expired_tokens.add(token)

    def fail_next(self, path_prefix: str, status: int, times: int = 1) -> None:
        """The next `times` calls to `path_prefix` answer `status` (e.g. 500, 429)."""
        with self.state.lock:
            self.state.failures.extend([(path_prefix, status)] * times)

    def lose_next_response(self, path_prefix: str) -> None:
        """The next call to `path_prefix` is carried out but answers 500 (a lost response)."""
        with self.state.lock:
            self.state.lost_responses.append(path_prefix)

    def quota_calls(self) -> list[Call]:
        """The quota reads (not in `calls`, which are what the gateway sent and set up)."""
        with self.state.lock:
            return list(self.state.quota_calls)

    def set_quota(self, limit: int | None, used_before: int = 0, enforce: bool = False) -> None:
        """The monthly message limit (None: no limit) and the use before this test's pushes;
        `enforce`: pushes beyond it are refused like LINE does (429, `MONTHLY_LIMIT`)."""
        with self.state.lock:
            self.state.quota_limit, self.state.quota_used_before = limit, used_before
            self.state.quota_enforced = enforce

    def loading_shown(self, user_id: str | None = None) -> list[Call]:
        """Accepted loading-animation calls (to `user_id`, if given)."""
        return [c for c in self.calls("/v2/bot/chat/loading/start", status=202)
                if user_id is None or c.body.get("chatId") == user_id]

    def set_profile(self, user_id: str, display_name: str = "Test", language: str = "th") -> None:
        self.state.profiles[user_id] = {"displayName": display_name, "language": language}

    # -- LINE's side of webhooks ---------------------------------------------------------
    def _event(self, user_id: str, kind: str, **extra: Any) -> dict:
        event: dict[str, Any] = {
            "type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id},
            "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False},
        }
        if kind != "unfollow":
            token = uuid.uuid4().hex
            self.state.reply_tokens[token] = user_id
            event["replyToken"] = token
        event.update(extra)
        return event

    def text_event(self, user_id: str, text: str) -> dict:
        return self._event(user_id, "message",
                           message={"id": uuid.uuid4().hex[:18], "type": "text", "text": text})

    def message_event(self, user_id: str, message: dict) -> dict:
        return self._event(user_id, "message", message={"id": uuid.uuid4().hex[:18], **message})

    def postback_event(self, user_id: str, data: str) -> dict:
        return self._event(user_id, "postback", postback={"data": data})

    def follow_event(self, user_id: str) -> dict:
        return self._event(user_id, "follow")

    def unfollow_event(self, user_id: str) -> dict:
        return self._event(user_id, "unfollow")

    @staticmethod
    def redelivery(event: dict) -> dict:
        """The same event as LINE redelivers it."""
        return {**event, "deliveryContext": {"isRedelivery": True}}

    @staticmethod
    def webhook_body(events: list[dict], destination: str = "Ufakebot") -> bytes:
        return json.dumps({"destination": destination, "events": events}).encode()

    def send_webhook(self, gateway_url: str, channel: str, secret: str, events: list[dict],
                     signature: str | None = None, body: bytes | None = None) -> httpx.Response:
        """POST events to the gateway like LINE does (signed with `secret` unless overridden)."""
        raw = body if body is not None else self.webhook_body(events)
        headers = {"Content-Type": "application/json",
                   "X-Line-Signature": signature if signature is not None else sign(secret, raw)}
        return httpx.post(f"{gateway_url}/line/{channel}/webhook", content=raw,
                          headers=headers, timeout=10)
