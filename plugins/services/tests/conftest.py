"""Fixtures of the services plugin's tests: a database migrated with the plugin alone (other
plugins cannot break these tests), a workspace with its admin and customer, and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marcus_services.plugin as services_plugin
import pytest

from marcus.testing import TestUser, relay_for


@dataclass
class Shop:
    """A workspace with the services plugin, its admin, a staff member and a customer."""

    org: Any
    admin: TestUser
    staff: TestUser
    customer: TestUser

    @property
    def tenant(self) -> dict[str, str]:
        """Headers of an anonymous caller of this workspace."""
        return {"X-Tenant": self.org.slug}


@pytest.fixture(scope="module")
async def services_db(marcus_make_database):
    database = marcus_make_database([services_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def make_shop(services_db, tenant_factory, user_factory):
    async def make(**settings: Any) -> Shop:
        org = await tenant_factory(database=services_db, plugins={"services": settings})
        users = [await user_factory(org, database=services_db, role=r) for r in ("admin", "staff", "customer")]
        return Shop(org, *users)

    return make


@pytest.fixture
async def shop(make_shop) -> Shop:
    return await make_shop()


@pytest.fixture
def app(services_db, marcus_app_factory):
    """``async with app() as h``: Marcus with the services plugin, background work off."""

    def start(**settings: Any):
        return marcus_app_factory(services_db, worker=False, **settings)

    return start


@pytest.fixture
def deliver():
    """``await deliver(h)``: run the outbox relay until every committed event is delivered."""

    async def run(h) -> None:
        while await relay_for(h.kernel).run_once():
            pass

    return run


@pytest.fixture
def create_service():
    """``await create_service(h, shop, name=...)``: a service made by the shop's admin (201)."""

    async def create(h, shop: Shop, **fields: Any) -> dict[str, Any]:
        body = {"name": "Consulting", "price": "120.00", "duration_minutes": 60} | fields
        response = await h.client.post("/api/v1/services", json=body, headers=shop.admin.headers)
        assert response.status_code == 201, response.text
        return response.json()

    return create
