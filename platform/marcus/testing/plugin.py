"""pytest fixtures for Marcus and its plugins (registered as the ``marcus`` pytest plugin).

* ``marcus_server_url`` - a PostgreSQL superuser URL: ``MARCUS_TEST_DATABASE_URL`` or the
  embedded server under ``.marcus/test``;
* ``marcus_database`` - one fresh database migrated with every installed plugin (session);
* ``marcus_make_database(plugins)`` - another fresh database, e.g. with an in-test plugin;
* ``marcus_app`` / ``marcus_client`` - the app on ``marcus_database`` and its HTTP client;
* ``marcus_app_factory(database, plugins)`` - an app with exactly the plugins named;
* ``tenant_factory(plugins=..., domains=...)`` - a persisted workspace;
* ``marcus_plugin(manifest, **hooks)`` - an in-test plugin module;
* ``mailbox`` - the mail queued on ``marcus_database`` (``await mailbox.last_code(email)``;
  ``mailbox.on(database)`` for another database);
* ``marcus_supabase`` - a Supabase Storage double served over HTTP (session):
  ``marcus_app_factory(database, **marcus_supabase.settings())`` stores files there.

Async fixtures share the session event loop: set ``asyncio_default_fixture_loop_scope`` and
``asyncio_default_test_loop_scope`` to ``session`` (pytest-asyncio).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import pytest_asyncio

from marcus.db.embedded import start_embedded
from marcus.tenancy.models import Organization
from marcus.testing.harness import (
    Harness,
    TestDatabase,
    create_database,
    create_tenant,
    drop_database,
    make_plugin,
    running_app,
)
from marcus.testing.mailbox import Mailbox

if TYPE_CHECKING:
    from marcus.testing.supabase import FakeSupabaseStorage


@pytest.fixture(scope="session")
def marcus_server_url() -> str:
    """Superuser URL of the test server (real one from the environment, else embedded)."""
    url = os.environ.get("MARCUS_TEST_DATABASE_URL")
    if url:
        return url
    return start_embedded(Path(os.environ.get("MARCUS_TEST_DATA_DIR", ".marcus/test")), database="postgres")


@pytest.fixture(scope="session")
def marcus_make_database(marcus_server_url: str) -> Iterator[Callable[..., TestDatabase]]:
    """Factory of fresh migrated databases (dropped at the end of the session)."""
    made: list[TestDatabase] = []

    def make(plugins: list[object] | None = None, **settings: Any) -> TestDatabase:
        database = create_database(marcus_server_url, plugins, **settings)
        made.append(database)
        return database

    yield make
    for database in made:
        drop_database(database.admin_url)


@pytest_asyncio.fixture(scope="session")
async def marcus_database(marcus_make_database: Callable[..., TestDatabase]) -> AsyncIterator[TestDatabase]:
    """A database migrated with every installed plugin, shared by the session."""
    database = marcus_make_database(None)
    yield database
    await database.dispose()


@pytest.fixture
def marcus_app_factory() -> Callable[..., AbstractAsyncContextManager[Harness]]:
    """``async with marcus_app_factory(database, plugins=[...]) as h: await h.client.get(...)``."""
    return running_app


@pytest_asyncio.fixture
async def marcus_app(marcus_database: TestDatabase) -> AsyncIterator[Harness]:
    """Marcus with every installed plugin on ``marcus_database``."""
    async with running_app(marcus_database) as harness:
        yield harness


@pytest.fixture
def marcus_client(marcus_app: Harness) -> httpx.AsyncClient:
    """HTTP client of ``marcus_app`` (base URL http://localhost: the default tenant)."""
    return marcus_app.client


@pytest.fixture
def tenant_factory(marcus_database: TestDatabase) -> Callable[..., Any]:
    """``await tenant_factory(plugins=["x"], domains=[...], database=None)`` -> Organization."""

    async def make(database: TestDatabase | None = None, **kwargs: Any) -> Organization:
        return await create_tenant(database or marcus_database, **kwargs)

    return make


@pytest.fixture
def user_factory(marcus_database: TestDatabase) -> Callable[..., Any]:
    """``await user_factory(org, role="admin", database=None)`` -> a signed-in ``TestUser``."""
    from marcus.testing.users import create_user

    async def make(org: Organization, *, database: TestDatabase | None = None, **kwargs: Any) -> Any:
        return await create_user(database or marcus_database, org, **kwargs)

    return make


@pytest.fixture
def marcus_live_server() -> Callable[..., Any]:
    """``async with marcus_live_server(database, plugins=[...]) as server: server.url`` (real uvicorn)."""
    from marcus.testing.server import live_server

    return live_server


@pytest.fixture
def marcus_plugin() -> Callable[..., Any]:
    """``marcus_plugin(PluginManifest(...), register_routers=...)`` -> an in-test plugin module."""
    return make_plugin


@pytest.fixture
def mailbox(marcus_database: TestDatabase) -> Mailbox:
    """The outbox of ``marcus_database``: ``await mailbox.last_code("ann@example.com")``."""
    return Mailbox(marcus_database)


@pytest_asyncio.fixture(scope="session")
async def marcus_supabase() -> AsyncIterator[FakeSupabaseStorage]:
    """A Supabase Storage double on 127.0.0.1 (``.url``, ``.objects``, ``.settings()``)."""
    from marcus.testing.supabase import serve_fake_supabase  # aiohttp, only for the tests that use it

    async with serve_fake_supabase() as fake:
        yield fake
