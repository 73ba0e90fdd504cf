"""The action server answers only Rasa: every route but `/health` needs the shared token
(`SAPHAN_ACTION_SERVER_TOKEN`, sent by Rasa as the header in bot/endpoints.yml); and in
production it does not start with default or weak secrets.

Installed when rasa-sdk imports this package (`python -m rasa_sdk --actions actions`), in its
main process and in each Sanic worker, through rasa-sdk's plugin hook."""

from __future__ import annotations

import hmac

import pluggy
from rasa_sdk.plugin import plugin_manager
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from saphan.production import require_safe_settings
from saphan.settings import get_settings

TOKEN_HEADER = "X-Saphan-Action-Token"
OPEN_PATHS = frozenset({"/health"})
hookimpl = pluggy.HookimplMarker("rasa_sdk")


class TokenGuard:
    """rasa-sdk plugin: a request middleware that refuses calls without the token."""

    def __init__(self, token: str) -> None:
        self.token = token.encode()

    def allowed(self, path: str, sent: str | None) -> bool:
        return path in OPEN_PATHS or hmac.compare_digest((sent or "").encode(), self.token)

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        async def check_token(request: Request) -> HTTPResponse | None:
            if self.allowed(request.path, request.headers.get(TOKEN_HEADER)):
                return None
            return response.json({"error": f"missing or wrong {TOKEN_HEADER}"}, status=401)

        app.register_middleware(check_token, "request")


def install() -> None:
    """Check the settings (exit on bad production secrets) and guard the server."""
    settings = get_settings()
    require_safe_settings(settings, "actions")
    manager = plugin_manager()
    if not any(isinstance(p, TokenGuard) for p in manager.get_plugins()):
        manager.register(TokenGuard(settings.action_server_token.get_secret_value()))
