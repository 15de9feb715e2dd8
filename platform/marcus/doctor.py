"""``marcus doctor``: checks the configuration and the deployment's safety, one line each.

Each check returns a ``Finding`` (ok / warn / fail) with what to fix. ``fail`` makes the
command exit non-zero, so it can gate a deploy.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import text

from marcus.config import PLACEHOLDER_SECRETS, Settings
from marcus.db import migrate
from marcus.db.catalog import rls_problems
from marcus.db.engine import Database
from marcus.db.roles import app_role_problems
from marcus.declarations import MigrationSource

Status = Literal["ok", "warn", "fail"]
CLOCK_SKEW_SECONDS = 5.0
OVERDUE_MINUTES = 5
# Per outbox: rows due for more than OVERDUE_MINUTES (nobody is draining it), and rows given up.
BACKLOG = """
SELECT count(*) FILTER (WHERE status = 'pending' AND next_attempt_at < now() - make_interval(mins => :minutes)),
       EXTRACT(EPOCH FROM now() - min(next_attempt_at) FILTER (WHERE status = 'pending')),
       count(*) FILTER (WHERE status = 'failed')
FROM {table}
"""


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.upper():<4}  {self.check}: {self.detail}"


Check = Callable[[], Awaitable[Finding]]


class Doctor:
    """Runs every check against one deployment's settings and databases."""

    def __init__(self, settings: Settings, admin_url: str, migrations: list[MigrationSource]) -> None:
        self.settings, self.admin_url, self.migrations = settings, admin_url, migrations
        self.db = Database(settings, admin_url=admin_url)

    async def run(self) -> list[Finding]:
        checks: list[Check] = [
            self.database,
            self.migrations_at_head,
            self.app_role,
            self.platform_role,
            self.forced_rls,
            self.secrets,
            self.redis,
            self.mail,
            self.storage,
            self.clock,
            self.background,
        ]
        findings = []
        try:
            for check in checks:
                try:
                    findings.append(await check())
                except Exception as exc:  # a check that cannot run is a failure, named
                    findings.append(Finding(check.__name__.replace("_", " "), "fail", f"{type(exc).__name__}: {exc}"))
        finally:
            await self.db.dispose()
        return findings

    async def database(self) -> Finding:
        for role, engine in (("app", self.db.app_engine), ("platform", self.db.platform_engine)):
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception as exc:
                fix = "check MARCUS_DATABASE_URL / MARCUS_APP_DATABASE_URL / MARCUS_PLATFORM_DATABASE_URL and the roles"
                return Finding("database", "fail", f"the {role} role cannot connect ({_short(exc)}); {fix}")
        return Finding("database", "ok", "reachable as the app and the platform roles")

    async def migrations_at_head(self) -> Finding:
        applied, heads = migrate.current_heads(self.admin_url, self.migrations)
        missing = sorted(heads - applied)
        if missing:
            return Finding("migrations", "fail", f"not at head ({', '.join(missing)} pending): run `marcus db upgrade`")
        return Finding("migrations", "ok", f"{len(heads)} branch head(s) applied")

    async def app_role(self) -> Finding:
        problems = await app_role_problems(self.db.app_engine)
        if problems:
            return Finding("app role", "fail", "; ".join(problems))
        return Finding("app role", "ok", "not superuser, no BYPASSRLS, owns no table")

    async def platform_role(self) -> Finding:
        async with self.db.platform_engine.connect() as conn:
            bypass = await conn.scalar(text("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user"))
        if not bypass:
            return Finding(
                "platform role", "fail", "lacks BYPASSRLS: cross-tenant jobs see nothing (ALTER ROLE ... BYPASSRLS)"
            )
        return Finding("platform role", "ok", "BYPASSRLS, used for cross-tenant jobs only")

    async def forced_rls(self) -> Finding:
        async with self.db.platform_engine.connect() as conn:
            problems = await rls_problems(conn)
        if problems:
            return Finding("row-level security", "fail", "; ".join(problems))
        return Finding("row-level security", "ok", "every tenant table has ENABLE + FORCE and its policy")

    async def secrets(self) -> Finding:
        placeholder = self.settings.secret_key.get_secret_value() in PLACEHOLDER_SECRETS
        if not placeholder:
            return Finding("secrets", "ok", "MARCUS_SECRET_KEY is set")
        status: Status = "fail" if self.settings.env == "prod" else "warn"
        return Finding(
            "secrets", status, "MARCUS_SECRET_KEY is a placeholder: set a long random value before production"
        )

    async def redis(self) -> Finding:
        if not self.settings.redis_url:
            return Finding("redis", "ok", "not configured: one process does everything (fine for a single replica)")
        from redis import asyncio as aioredis

        client = aioredis.from_url(self.settings.redis_url, socket_connect_timeout=3)
        try:
            await client.ping()
        except Exception as exc:
            return Finding("redis", "fail", f"MARCUS_REDIS_URL is set but unreachable ({_short(exc)})")
        finally:
            await client.aclose()
        return Finding("redis", "ok", "reachable")

    async def mail(self) -> Finding:
        s = self.settings
        if s.smtp_host:
            if s.smtp_user and s.smtp_password is None:
                return Finding("mail", "fail", "MARCUS_SMTP_USER is set without MARCUS_SMTP_PASSWORD")
            return Finding(
                "mail", "ok", f"SMTP via {s.smtp_host}:{s.smtp_port}{' with STARTTLS' if s.smtp_starttls else ''}"
            )
        status: Status = "fail" if s.env == "prod" else "ok"
        return Finding(
            "mail", status, f"no SMTP: mails are written to {s.data_dir / 'mail'} (set MARCUS_SMTP_HOST to send)"
        )

    async def storage(self) -> Finding:
        backend = getattr(self.settings, "storage_backend", "local")
        if backend == "supabase":
            missing = [
                n for n in ("supabase_url", "supabase_key", "supabase_bucket") if not getattr(self.settings, n, None)
            ]
            if missing:
                names = ", ".join(f"MARCUS_{n.upper()}" for n in missing)
                return Finding("storage", "fail", f"the Supabase backend needs {names}")
            return Finding("storage", "ok", "Supabase Storage")
        return Finding("storage", "ok", f"local files under {self.settings.data_dir / 'storage'}")

    async def clock(self) -> Finding:
        async with self.db.app_engine.connect() as conn:
            before = time.time()
            db_now = await conn.scalar(text("SELECT now()"))
            after = time.time()
        skew = abs(db_now.timestamp() - (before + after) / 2) if isinstance(db_now, datetime) else 0.0
        if skew > CLOCK_SKEW_SECONDS:
            return Finding(
                "clock", "fail", f"this host and PostgreSQL disagree by {skew:.1f}s: fix NTP (tokens and codes expire)"
            )
        return Finding("clock", "ok", f"in step with PostgreSQL ({datetime.now(UTC):%Y-%m-%d %H:%M:%SZ})")

    async def background(self) -> Finding:
        """Whether a worker drains the outboxes: events and mail long overdue mean none runs."""
        found = {}
        async with self.db.platform_engine.connect() as conn:
            for table in ("event_outbox", "mail_messages"):
                row = (await conn.execute(text(BACKLOG.format(table=table)), {"minutes": OVERDUE_MINUTES})).one()
                found[table] = (int(row[0]), float(row[1] or 0.0), int(row[2]))
        (events, events_age, events_failed), (mails, mails_age, mails_failed) = found.values()
        if events or mails:
            oldest = max(events_age, mails_age) / 60
            return Finding(
                "background work",
                "warn",
                f"{events} event(s) and {mails} mail(s) overdue by more than {OVERDUE_MINUTES} min (oldest"
                f" {oldest:.0f} min): no worker is draining the outbox — run `marcus worker`, or `marcus serve`"
                " without --no-worker",
            )
        if events_failed or mails_failed:
            return Finding(
                "background work",
                "warn",
                f"{events_failed} event(s) and {mails_failed} mail(s) failed for good: see the worker's logs and"
                " GET /api/v1/mail/messages?status=failed (kept MARCUS_FAILED_RETENTION_DAYS days)",
            )
        return Finding("background work", "ok", "the event and mail outboxes are being drained")


def _short(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
