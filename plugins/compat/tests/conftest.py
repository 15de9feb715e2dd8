"""Fixtures of the compat plugin's tests: one database migrated with every feature plugin and
compat, a workspace with compat enabled and its admin and two customers, and the running app.

Seed clients send the bare token (``Authorization: <jwt>``), so ``Shop.seed(user)`` builds those
headers; ``user.headers`` (``Bearer``) works as well.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import marcus_appointments.plugin as appointments_plugin
import marcus_blog.plugin as blog_plugin
import marcus_compat.plugin as compat_plugin
import marcus_documents.plugin as documents_plugin
import marcus_invoices.plugin as invoices_plugin
import marcus_services.plugin as services_plugin
import pytest

from marcus.testing import OrganizationFactory, TestUser, relay_for

PLUGINS = [services_plugin, blog_plugin, documents_plugin, appointments_plugin, invoices_plugin, compat_plugin]
ALL_ENABLED = {"services": {}, "blog": {}, "documents": {}, "appointments": {}, "invoices": {}, "compat": {}}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Shop:
    """A workspace with compat enabled: an admin (Ada), two customers (Alice, Bob)."""

    org: Any
    admin: TestUser
    alice: TestUser
    bob: TestUser
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant(self) -> dict[str, str]:
        return {"X-Tenant": self.org.slug}

    def seed(self, user: TestUser) -> dict[str, str]:
        """The headers a seed client sends: the bare access token, no ``Bearer``."""
        return {"Authorization": user.access_token, "X-Tenant": self.org.slug}


@pytest.fixture(scope="module")
async def compat_db(marcus_make_database):
    database = marcus_make_database(PLUGINS)
    yield database
    await database.dispose()


@pytest.fixture
def make_shop(compat_db, tenant_factory, user_factory):
    """``await make_shop(login_otp=True, plugins={...})``: a workspace and its people."""

    async def make(*, plugins: dict[str, Any] | None = None, **settings: Any) -> Shop:
        values = {"time_zone": "UTC", "currency": "EUR", "language": "en"} | settings
        organization = OrganizationFactory.build(settings=values)
        org = await tenant_factory(database=compat_db, organization=organization, plugins=plugins or ALL_ENABLED)
        admin = await user_factory(org, database=compat_db, role="admin", first_name="Ada")
        alice = await user_factory(org, database=compat_db, role="customer", first_name="Alice")
        bob = await user_factory(org, database=compat_db, role="customer", first_name="Bob")
        return Shop(org, admin, alice, bob)

    return make


@pytest.fixture
def app(compat_db, marcus_app_factory):
    """``async with app() as h``: Marcus with every plugin and compat, background work off."""

    def start(**settings: Any):
        return marcus_app_factory(compat_db, worker=False, **settings)

    return start


@pytest.fixture
def ready(app, make_shop):
    """``async with ready(**workspace_settings) as (h, shop)``."""

    @asynccontextmanager
    async def start(app_settings: dict[str, Any] | None = None, **settings: Any):
        shop = await make_shop(**settings)
        async with app(**(app_settings or {})) as h:
            yield h, shop

    return start


async def deliver(h) -> None:
    """Run the outbox relay until every committed event is delivered."""
    while await relay_for(h.kernel).run_once():
        pass


class Kit:
    """Helpers as one fixture (test modules cannot import conftest under importlib)."""

    PDF, PNG = PDF, PNG
    ALL_ENABLED = ALL_ENABLED
    deliver = staticmethod(deliver)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


@pytest.fixture(scope="session")
def b() -> Any:
    """The schedule / appointment / document / invoice helpers of ``_b.py`` (loaded by path:
    test modules cannot import each other under importlib)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("marcus_compat_tests_b", Path(__file__).with_name("_b.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
