"""All configuration, read once from the environment and `.env` (see `.env.example`).

Every variable is prefixed `SAPHAN_`; e.g. `SAPHAN_DATABASE_URL`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from saphan.paths import ROOT, VAR_DIR

ENV_PREFIX = "SAPHAN_"


class SettingsError(ValueError):
    """A setting has a bad value; the message names its environment variable (never the value,
    which may be a secret or a LINE id)."""


class LineChannelsError(SettingsError):
    """`SAPHAN_LINE_CHANNELS` is not a valid list of channels."""


class CaseworkerRecipientsError(SettingsError):
    """`SAPHAN_CASEWORKER_LINE_RECIPIENTS` is not a valid list of recipients."""


class LineChannelConfig(BaseModel):
    """One LINE channel (official account) of `SAPHAN_LINE_CHANNELS`."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    audience: Literal["officer", "public"]
    secret: SecretStr
    access_token: SecretStr


class CaseworkerRecipient(BaseModel):
    """A caseworker told about new cases on LINE (`SAPHAN_CASEWORKER_LINE_RECIPIENTS`)."""

    channel: str = Field(min_length=1)
    user_id: str = Field(min_length=1, max_length=64)
    wide_only: bool = False  # only told on the wider re-notification of urgent cases


#: Settings whose errors have their own exception class (callers catch these).
FIELD_ERRORS: dict[str, type[SettingsError]] = {
    "line_channels": LineChannelsError,
    "caseworker_line_recipients": CaseworkerRecipientsError,
}


def _describe(exc: ValidationError) -> str:
    """Each error as `VARIABLE[item].field is invalid: why`, without the input values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        field, *where = error["loc"]
        place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where)
        parts.append(f"{ENV_PREFIX}{str(field).upper()}{place} is invalid: {error['msg']}")
    return "; ".join(parts)


class Settings(BaseSettings):
    """Process-wide settings for the gateway, the action server and the CLI."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Databases
    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'saphan.db'}",
        description="App database (SQLAlchemy URL): SQLite file by default, PostgreSQL in prod.",
    )
    tracker_store_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'rasa_tracker.db'}",
        description="Rasa's own tracker store (SQLAlchemy URL; separate from the app database).",
    )
    redis_url: str = Field(
        default="",
        description="Redis for Rasa's lock store; empty = in-memory lock store (one Rasa replica).",
    )

    # Processes
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    public_base_url: str = Field(
        default="", description="Public URL of the gateway (for links); default http://host:port."
    )
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_s: float = 10.0

    # Secrets
    internal_api_token: SecretStr = Field(
        default=SecretStr("dev-internal-token-change-me"),
        description="Shared secret for action server -> gateway internal API calls.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr("dev-secret-key-change-me"),
        description="Signs dashboard sessions and CSRF tokens.",
    )

    # LINE
    line_api_base_url: str = Field(
        default="https://api.line.me", description="LINE Messaging API host (tests: fake server)."
    )
    line_data_api_base_url: str = Field(
        default="https://api-data.line.me",
        description="LINE content API host (rich menu images; tests: fake server).",
    )
    line_channels: Annotated[list[LineChannelConfig], NoDecode] = Field(
        default_factory=list,
        description=(
            "JSON list of LINE channels: "
            '[{"name": "public", "audience": "public", "secret": "...", "access_token": "..."}]'
        ),
    )

    # Gateway (LINE webhooks, durable inbox, sending)
    webhook_max_body_bytes: int = Field(default=1_000_000, description="Larger webhooks -> 413.")
    line_reply_token_ttl_s: float = Field(
        default=50.0, description="After this many seconds the gateway pushes instead of replying."
    )
    inbox_retry_base_s: float = Field(default=2.0, description="First retry delay (doubles).")
    inbox_retry_max_s: float = Field(default=60.0, description="Longest delay between retries.")
    inbox_max_attempts: int = Field(default=200, description="Then the event is marked failed.")
    line_send_attempts: int = Field(default=5, description="Tries per LINE API call on 429/5xx.")
    simulator_enabled: bool = Field(default=True, description="Serve /simulator (local chat page).")

    # Referral directory
    admin_api_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer token for directory admin API writes; empty disables them.",
    )

    # Cases and caseworker dashboard (caseworker issue)
    caseworker_line_recipients: Annotated[list[CaseworkerRecipient], NoDecode] = Field(
        default_factory=list,
        description='JSON list of caseworkers notified on LINE: [{"channel": "officer", '
        '"user_id": "U...", "wide_only": false}]; wide_only = only on urgent re-notification.',
    )
    urgent_renotify_after_s: float = Field(
        default=300.0, description="Urgent case unclaimed this long -> notified again, wider."
    )
    case_notify_check_s: float = Field(default=10.0, description="How often renotify checks run.")
    dashboard_session_max_age_s: int = Field(default=8 * 3600, description="Login lifetime.")
    login_max_failures: int = Field(default=5, description="Failed logins per window, then 429.")
    login_window_s: float = Field(default=300.0, description="Login rate-limit window.")

    # Officer screening (screening issue)
    screening_notes_key: SecretStr = Field(
        default=SecretStr(""),
        description="Fernet key encrypting screening free-text notes at rest; empty = notes "
        "cannot be saved. Make one: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'",
    )

    log_level: str = "INFO"

    def __init__(self, **values: Any) -> None:
        """Read and validate; a bad value raises `SettingsError` naming the variable."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            first = str(exc.errors()[0]["loc"][0]) if exc.errors() else ""
            raise FIELD_ERRORS.get(first, SettingsError)(_describe(exc)) from None

    @field_validator("line_channels", "caseworker_line_recipients", mode="before")
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        """The variable holds a JSON list; empty means none."""
        if isinstance(value, str):
            try:
                return json.loads(value.strip() or "[]")
            except json.JSONDecodeError as exc:
                raise ValueError(f"not JSON ({exc.msg} at character {exc.pos})") from None
        return value

    @field_validator("line_channels")
    @classmethod
    def _unique_channel_names(cls, channels: list[LineChannelConfig]) -> list[LineChannelConfig]:
        names = [channel.name for channel in channels]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate channel names {duplicates}")
        return channels

    @property
    def gateway_url(self) -> str:
        return self.public_base_url or f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def rasa_port(self) -> int:
        return urlsplit(self.rasa_url).port or 5005

    @property
    def action_server_port(self) -> int:
        return urlsplit(self.action_server_url).port or 5055


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (cached; tests call `get_settings.cache_clear()`)."""
    return Settings()
