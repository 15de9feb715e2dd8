"""Settings: one pydantic-settings class read from ``MARCUS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev-secret-change-me"})
DEV_SECRET = "dev-secret-change-me"  # noqa: S105 - refused outside dev/test, see _refuse_placeholders


class Settings(BaseSettings):
    """Everything Marcus reads from its environment; built once per app in ``create_app``."""

    model_config = SettingsConfigDict(env_prefix="MARCUS_", env_file=None, extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    secret_key: SecretStr = SecretStr(DEV_SECRET)

    # Database. ``database_url`` is the owner/admin connection used for migrations; unset means
    # "start the embedded PostgreSQL under data_dir". The app and platform URLs default to the
    # same server with the app / platform role names (trust or peer auth: embedded and CI).
    database_url: str | None = None
    app_database_url: str | None = None
    platform_database_url: str | None = None
    db_owner_role: str = "marcus_owner"
    db_app_role: str = "marcus_app"
    db_platform_role: str = "marcus_platform"
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    data_dir: Path = Path(".marcus")

    # Tenancy
    base_domain: str = "localhost"
    default_tenant: str = "default"
    tenants_dir: Path | None = None
    tenant_cache_ttl: float = Field(default=5.0, ge=0)

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = []
    log_level: str = "INFO"
    log_json: bool = True

    redis_url: str | None = None

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "prod" and self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ValueError("MARCUS_SECRET_KEY must be set to a real secret when MARCUS_ENV=prod")
        if "*" in self.cors_origins:
            raise ValueError("MARCUS_CORS_ORIGINS may not contain '*': list the allowed origins")
        return self

    @property
    def embedded(self) -> bool:
        """True when Marcus runs its own PostgreSQL under ``data_dir``."""
        return self.database_url is None
