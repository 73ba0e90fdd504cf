"""All configuration, read once from the environment and `.env` (see `.env.example`).

Every variable is prefixed `SAPHAN_`; e.g. `SAPHAN_DATABASE_URL`.
"""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from saphan.paths import ROOT, VAR_DIR

ENV_PREFIX = "SAPHAN_"

#: Public development key for encryption at rest (production refuses it).
DEV_ENCRYPTION_KEY = "c2FwaGFuLWRldmVsb3BtZW50LWtleS1ub3Qtc2VjcmU="


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
    #: Code of the caseworker's agency: told of that agency's cases and of hand-overs to it;
    #: None = told of every case (a single-organisation setup), never of hand-overs.
    agency: str | None = Field(default=None, min_length=1, max_length=40)

    @field_validator("agency")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        """Agency codes are stored lower case (`agencies.store`): "MSDHS-Tak" is msdhs-tak."""
        return value.strip().lower() if value is not None else None


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

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production: refuse default/weak secrets; simulator and API docs off.",
    )

    # Secrets (production refuses the defaults: saphan/production.py; make one with
    # python -c 'import secrets; print(secrets.token_urlsafe(32))')
    internal_api_token: SecretStr = Field(
        default=SecretStr("dev-internal-token-change-me"),
        description="Shared secret for action server -> gateway internal API calls.",
    )
    session_key: SecretStr = Field(
        default=SecretStr("dev-session-key-change-me"),
        description="Signs dashboard sessions and CSRF tokens.",
    )
    pseudonym_key: SecretStr = Field(
        default=SecretStr("dev-pseudonym-key-change-me"),
        description="Keys the pseudonymous conversation id of a new LINE user (HMAC); existing "
        "users keep their stored id, so rotating it orphans nothing.",
    )
    encryption_keys: SecretStr = Field(
        default=SecretStr(DEV_ENCRYPTION_KEY),
        description="Comma-separated Fernet keys for encryption at rest: the first encrypts, "
        "all decrypt (rotation: put a new key first, keep the old ones until re-encrypted).",
    )
    rasa_auth_token: SecretStr = Field(
        default=SecretStr("dev-rasa-token-change-me"),
        description="Rasa's --auth-token; the gateway sends it on every Rasa HTTP API call.",
    )
    action_server_token: SecretStr = Field(
        default=SecretStr("dev-action-token-change-me"),
        description="Rasa -> action server shared token (header X-Saphan-Action-Token).",
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
    inbox_lease_s: float = Field(
        default=30.0, gt=0, description="A claimed event's lease (renewed while it is worked "
        "on); a crashed gateway's events are taken over when it ends.")
    line_send_attempts: int = Field(default=5, description="Tries per LINE API call on 429/5xx.")
    simulator_enabled: bool | None = Field(
        default=None, description="Serve /simulator (chat page); empty = on in development only."
    )
    simulator_workers: int = Field(
        default=2, ge=1, description="Simulator events run in their own pool of this many workers."
    )
    simulator_rate_per_minute: int = Field(
        default=30, ge=1, description="Simulator messages per minute per client address (429)."
    )
    docs_enabled: bool | None = Field(
        default=None, description="Serve /docs, /redoc, /openapi.json; empty = development only."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is used.",
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1, description="Larger request bodies -> 413 (every route)."
    )

    # Referral directory
    admin_api_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer token for directory admin API writes; empty disables them.",
    )

    # Cases and caseworker dashboard (caseworker issue)
    caseworker_line_recipients: Annotated[list[CaseworkerRecipient], NoDecode] = Field(
        default_factory=list,
        description='JSON list of caseworkers notified on LINE: [{"channel": "officer", '
        '"user_id": "U...", "wide_only": false, "agency": "code"}]; wide_only = only on urgent '
        're-notification; agency = told of that agency\'s cases and hand-overs (none: every case).',
    )
    urgent_renotify_after_s: float = Field(
        default=300.0, description="Urgent case unclaimed this long -> notified again, wider."
    )
    case_notify_check_s: float = Field(default=10.0, description="How often renotify checks run.")
    referral_sla_s: float = Field(
        default=24 * 3600.0, gt=0, description="A hand-over to another agency not accepted or "
        "declined this long after it was made is overdue: the agency is reminded once.")
    case_sla_urgent_s: float = Field(
        default=300.0, gt=0, description="Target time to the first caseworker reply to an "
        "urgent case; past it the case is overdue (flagged and sorted first in the queue; "
        "unclaimed urgent cases are notified again after SAPHAN_URGENT_RENOTIFY_AFTER_S).")
    case_sla_high_s: float = Field(
        default=3600.0, gt=0, description="Target time to the first reply, high priority.")
    case_sla_normal_s: float = Field(
        default=4 * 3600.0, gt=0, description="Target time to the first reply, normal priority.")
    insights_min_cell: int = Field(
        default=11, ge=2, description="Programme insights: a count below this many cases is "
        "suppressed in every table, chart and CSV (k-anonymity; CTDC publishes with 11).")
    directory_stale_days: int = Field(
        default=180, ge=1, description="A directory entry not verified for this many days is "
        "stale: flagged to its agency (dashboard, `saphan directory stale`) and shown to people "
        "with 'call to confirm'.")
    dashboard_session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="A login ends this long after it began (absolute)."
    )
    dashboard_session_idle_s: int = Field(
        default=30 * 60, ge=60, description="A login ends after this long without a request."
    )
    login_delay_max_s: float = Field(
        default=30.0, ge=0, description="Longest wait after failed logins of one account from "
        "one client (1, 2, 4... s); other clients are never delayed by them."
    )

    # Retention and notification limits (docs/privacy.md, docs/security.md)
    retention_payload_days: int = Field(
        default=30, ge=1, description="Raw inbox payloads and outbox bodies of done events are "
        "deleted this many days after the event was done (the batch sent).")
    retention_closed_case_months: int = Field(
        default=24, ge=1, description="Closed cases are anonymised this many months (30 days) "
        "after closing, unless on legal hold.")
    retention_practice_run_months: int = Field(
        default=12, ge=1, description="Finished practice runs (officers' training results in "
        "the trainer's view) are deleted this many months (30 days) after they finished.")
    retention_check_s: float = Field(
        default=3600.0, ge=0, description="How often the gateway runs retention; 0 = never.")
    case_notify_person_max: int = Field(
        default=3, ge=1, description="Caseworker LINE notifications per person per window.")
    case_notify_global_max: int = Field(
        default=30, ge=1, description="Caseworker LINE notifications in all per window.")
    case_notify_window_s: float = Field(
        default=3600.0, gt=0, description="Window of the notification limits (seconds).")

    # Officer screening (screening issue)
    screening_notes_key: SecretStr = Field(
        default=SecretStr(""),
        description="Legacy, decrypt only: the key screening notes were encrypted with before "
        "SAPHAN_ENCRYPTION_KEYS; keep it set until `saphan keys rotate` has re-encrypted them, "
        "then remove it.",
    )

    log_level: str = "INFO"

    # Operations (docs/operations.md)
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per log line (for log collectors).")
    metrics_token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer token for GET /metrics; empty = the internal API token is asked.")
    line_quota_check_s: float = Field(
        default=600.0, ge=0, description="How often LINE's monthly quota is read; 0 = never.")
    line_quota_warn_ratio: float = Field(
        default=0.8, gt=0, le=1, description="Share of the monthly quota that is warned about.")
    line_quota_hold_s: float = Field(
        default=3600.0, gt=0, description="Pushes wait this long after LINE said the monthly "
        "limit is reached (or until a quota read shows room, or the month ends), then retry.")
    line_loading_after_s: float = Field(
        default=1.0, ge=0, description="Show LINE's loading animation when Rasa has not "
        "answered a 1:1 chat message after this many seconds.")
    line_loading_s: int = Field(
        default=20, ge=5, le=60, multiple_of=5,
        description="How long LINE shows the loading animation (5-60, a multiple of 5).")

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

    @field_validator("simulator_enabled", "docs_enabled", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """An empty variable means "the environment's default" (None)."""
        if isinstance(value, str) and value.strip().lower() in ("", "none"):
            return None
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """Comma-separated, or a JSON list (as `saphan run` passes lists to its children)."""
        if isinstance(value, str) and value.strip().startswith("["):
            return cls._json_list(value)
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or CIDR network: {proxy!r}") from None
        return proxies

    @field_validator("line_channels")
    @classmethod
    def _unique_channel_names(cls, channels: list[LineChannelConfig]) -> list[LineChannelConfig]:
        names = [channel.name for channel in channels]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate channel names {duplicates}")
        return channels

    def case_sla_s(self) -> dict[str, float]:
        """Target seconds to the first caseworker reply, by case priority."""
        return {"urgent": self.case_sla_urgent_s, "high": self.case_sla_high_s,
                "normal": self.case_sla_normal_s}

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def simulator_on(self) -> bool:
        """Explicit setting, else on in development only."""
        return (not self.production) if self.simulator_enabled is None else self.simulator_enabled

    @property
    def docs_on(self) -> bool:
        """Explicit setting, else on in development only."""
        return (not self.production) if self.docs_enabled is None else self.docs_enabled

    @property
    def encryption_key_list(self) -> list[str]:
        """`encryption_keys` split: the first encrypts, all decrypt."""
        raw = self.encryption_keys.get_secret_value()
        return [key.strip() for key in raw.split(",") if key.strip()]

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
