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
    line_channels: str = Field(
        default="",
        description=(
            "JSON list of LINE channels: "
            '[{"name": "public", "audience": "public", "secret": "...", "access_token": "..."}]'
        ),
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
