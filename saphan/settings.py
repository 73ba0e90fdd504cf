"""All configuration, read once from the environment and `.env` (see `.env.example`).

Every variable is prefixed `SAPHAN_`; e.g. `SAPHAN_DATABASE_URL`.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from saphan.paths import ROOT, VAR_DIR


class Settings(BaseSettings):
    """Process-wide settings for the gateway, the action server and the CLI."""

    model_config = SettingsConfigDict(
        env_prefix="SAPHAN_", env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
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
    line_channels: str = Field(
        default="",
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
    caseworker_line_recipients: str = Field(
        default="",
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
