"""Building blocks behind the fixtures: test databases, an app with its HTTP client, and
in-test plugins."""

from __future__ import annotations

import asyncio
import tempfile
import types
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from marcus.app import MarcusApp, create_app
from marcus.config import Settings
from marcus.db import migrate
from marcus.db.engine import Database
from marcus.db.roles import libpq_url
from marcus.declarations import PluginManifest
from marcus.hookspecs import hookimpl
from marcus.kernel import Kernel
from marcus.plugins import load_plugins
from marcus.tenancy import service
from marcus.tenancy.models import Organization


@dataclass
class TestDatabase:
    """A migrated database of its own on the test server, with the plugins it was built for."""

    __test__ = False

    admin_url: str
    plugins: Sequence[object] | None
    settings: Settings
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        """Engines for the app and platform roles (made on first use)."""
        if self._db is None:
            self._db = Database(self.settings, admin_url=self.admin_url)
        return self._db

    async def dispose(self) -> None:
        if self._db is not None:
            await self._db.dispose()
            self._db = None


def test_settings(admin_url: str, **overrides: Any) -> Settings:
    """Settings for tests: no cache, plain logs, cheap Argon2, files (mail, uploads) in a temp dir."""
    values: dict[str, Any] = {
        "env": "test",
        "database_url": admin_url,
        "tenant_cache_ttl": 0.0,
        "log_json": False,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "argon2_parallelism": 1,
        "data_dir": Path(tempfile.mkdtemp(prefix="marcus-test-")),
    }
    return Settings(**(values | overrides))


def create_database(server_url: str, plugins: Sequence[object] | None, **settings: Any) -> TestDatabase:
    """Create ``marcus_test_<random>`` on the server and migrate it with ``plugins``."""
    name = f"marcus_test_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    cfg = test_settings(admin_url, **settings)
    registry = load_plugins(plugins)
    migrate.upgrade(admin_url, cfg, registry.migrations)
    return TestDatabase(admin_url=admin_url, plugins=plugins, settings=cfg)


def drop_database(admin_url: str) -> None:
    url = make_url(admin_url)
    with psycopg.connect(
        libpq_url(url.set(database="postgres").render_as_string(hide_password=False)), autocommit=True
    ) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.database or "")))


@dataclass
class Harness:
    """A running app (lifespan entered) and an HTTP client speaking to it in-process."""

    app: MarcusApp
    client: httpx.AsyncClient

    @property
    def kernel(self) -> Kernel:
        return self.app.kernel


@asynccontextmanager
async def running_app(
    database: TestDatabase, plugins: Sequence[object] | None = None, **settings: Any
) -> AsyncIterator[Harness]:
    """Build Marcus on ``database``, enter its lifespan and yield it with a client."""
    from asgi_lifespan import LifespanManager

    cfg = database.settings.model_copy(update=settings) if settings else database.settings
    app = create_app(cfg, plugins=database.plugins if plugins is None else plugins)
    async with (
        LifespanManager(app.api),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://localhost"
        ) as client,
    ):
        yield Harness(app=app, client=client)


async def create_tenant(
    database: TestDatabase,
    *,
    plugins: Mapping[str, Mapping[str, Any]] | Sequence[str] = (),
    domains: Sequence[str] = (),
    organization: Organization | None = None,
    installed: Sequence[object] | None = None,
) -> Organization:
    """Persist a workspace (from ``OrganizationFactory`` defaults) with plugins enabled.

    ``installed`` lists the plugin modules to validate against (default: the database's).
    """
    from marcus.testing.factories import OrganizationFactory

    org = organization or OrganizationFactory.build()
    wanted = dict(plugins) if isinstance(plugins, Mapping) else {p: {} for p in plugins}
    registry = load_plugins(database.plugins if installed is None else installed)
    async with database.db.platform_session() as session, session.begin():
        created = await service.create_organization(
            session,
            registry,
            slug=org.slug,
            name=org.name,
            plugins=wanted,
            settings=org.settings,
            domains=domains,
        )
        if org.status != created.status:
            await service.set_status(session, created, org.status)
    return created


def make_plugin(manifest: PluginManifest, **hooks: Callable[..., Any]) -> types.ModuleType:
    """An in-test plugin: a module with ``manifest`` and the given functions as hook implementations.

    ``make_plugin(PluginManifest(name="demo", version="1"), register_routers=lambda: router)``
    """
    module = types.ModuleType(f"marcus_test_plugin_{manifest.name}")
    module.manifest = manifest  # type: ignore[attr-defined]
    for name, function in hooks.items():
        setattr(module, name, hookimpl(function))
    return module


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, *args, **kwargs)
