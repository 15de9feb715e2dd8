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

    # Portal (web pages): browser sessions ride on cookies carrying the API's tokens. Secure
    # cookies (``__Host-`` names) unless turned off; the default turns them off only for
    # MARCUS_ENV dev and test, where the portal is served over http://localhost.
    cookie_secure: bool | None = None

    # Background work (outbox relay, mail, jobs) inside the API process; `marcus worker` runs it apart.
    worker: bool = True
    relay_poll_interval: float = Field(default=1.0, gt=0)
    # Housekeeping (marcus.housekeeping): delivered events and sent mail are kept this many days,
    # failed ones (for inspection) failed_retention_days; a pass runs every housekeeping_interval s.
    retention_days: float = Field(default=7.0, gt=0)
    failed_retention_days: float = Field(default=30.0, gt=0)
    housekeeping_interval: float = Field(default=3600.0, gt=0)
    # Seconds uvicorn lets in-flight requests finish after SIGTERM before cancelling them.
    shutdown_timeout: float = Field(default=25.0, gt=0)

    # Prometheus metrics: GET /metrics on the API port, or only on metrics_host:metrics_port when
    # metrics_port is set (`marcus worker` serves them only there). A metrics_token makes both ask
    # for "Authorization: Bearer <token>". Backlog gauges query the database at most every
    # metrics_backlog_ttl seconds, never per request.
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_backlog_ttl: float = Field(default=10.0, ge=0)

    # Identity: token lifetimes (seconds), one-time codes, password hashing cost, uploads.
    access_token_ttl: int = Field(default=900, ge=30)
    refresh_token_ttl: int = Field(default=30 * 24 * 3600, ge=60)
    code_ttl: int = Field(default=600, ge=60)
    code_max_attempts: int = Field(default=5, ge=1)
    code_resend_interval: int = Field(default=60, ge=0)
    # Argon2id cost: OWASP's baseline (19 MiB, 2 iterations, 1 lane); benchmarks/login.py measures it.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_cost: int = Field(default=19456, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)
    avatar_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    default_plugins: list[str] = []
    # Rate limits: rule name -> "COUNT/SECONDS" overriding marcus.ratelimit.DEFAULT_RULES.
    rate_limits: dict[str, str] = {}
    rate_limit_enabled: bool = True

    # Mail: SMTP (STARTTLS) when smtp_host is set, else .eml files under data_dir/mail.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Marcus <no-reply@localhost>"
    smtp_starttls: bool = True
    smtp_timeout: float = Field(default=30.0, gt=0)
    mail_max_attempts: int = Field(default=5, ge=1)
    mail_retry_base: float = Field(default=30.0, ge=0)
    mail_poll_interval: float = Field(default=30.0, gt=0)

    # File storage (marcus.storage): a directory under data_dir, or a Supabase Storage bucket
    # (server-side key, private bucket). Upload limits are the platform's ceiling; a workspace
    # may lower them under [settings.uploads] (max_bytes, types).
    storage_backend: Literal["local", "supabase"] = "local"
    supabase_url: str | None = None
    supabase_key: SecretStr | None = None
    supabase_bucket: str = Field(default="attachments", min_length=1)
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    upload_types: list[str] = [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    signed_url_ttl: int = Field(default=300, ge=10, le=7 * 24 * 3600)

    @model_validator(mode="after")
    def _storage_configured(self) -> Settings:
        if self.storage_backend == "supabase" and not (self.supabase_url and self.supabase_key):
            raise ValueError("MARCUS_STORAGE_BACKEND=supabase needs MARCUS_SUPABASE_URL and MARCUS_SUPABASE_KEY")
        return self

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env == "prod" and self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ValueError("MARCUS_SECRET_KEY must be set to a real secret when MARCUS_ENV=prod")
        token = self.metrics_token.get_secret_value() if self.metrics_token is not None else None
        if self.env == "prod" and token is not None and token in PLACEHOLDER_SECRETS:
            raise ValueError("MARCUS_METRICS_TOKEN must be a real secret (or unset) when MARCUS_ENV=prod")
        if "*" in self.cors_origins:
            raise ValueError("MARCUS_CORS_ORIGINS may not contain '*': list the allowed origins")
        return self

    @property
    def secure_cookies(self) -> bool:
        """Whether portal cookies are ``Secure`` (and carry the ``__Host-`` prefix)."""
        return self.cookie_secure if self.cookie_secure is not None else self.env == "prod"

    @property
    def embedded(self) -> bool:
        """True when Marcus runs its own PostgreSQL under ``data_dir`` (no database URL given at all)."""
        return self.database_url is None and self.app_database_url is None
