"""Fixtures of the invoices plugin's tests: a database migrated with the invoices plugin and
what it depends on (services, appointments, documents), workspaces with one person per role,
the app on that database, and helpers (create / issue invoices, deliver events, run jobs,
book an appointment through the appointments API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import marcus_appointments.plugin as appointments_plugin
import marcus_documents.plugin as documents_plugin
import marcus_invoices.plugin as invoices_plugin
import marcus_services.plugin as services_plugin
import pytest
from sqlalchemy import text

from marcus.testing import JobRunner, OrganizationFactory, TestUser, relay_for

API = "/api/v1/invoices"
PLUGINS = ("services", "appointments", "documents", "invoices")


@dataclass
class Shop:
    """A workspace with invoices enabled and one signed-in user per role."""

    org: Any
    owner: TestUser
    admin: TestUser
    staff: TestUser
    alice: TestUser
    bob: TestUser

    @property
    def tenant(self) -> dict[str, str]:
        return {"X-Tenant": self.org.slug}


@pytest.fixture(scope="session")
async def invoices_db(marcus_make_database):
    database = marcus_make_database([services_plugin, appointments_plugin, documents_plugin, invoices_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def make_shop(invoices_db, tenant_factory, user_factory):
    """``await make_shop(time_zone="Europe/Berlin", currency="JPY", number_prefix="RE")``."""

    async def make(time_zone: str = "UTC", currency: str = "EUR", name: str | None = None, **settings: Any) -> Shop:
        values = {"time_zone": time_zone, "currency": currency, "language": "en"}
        organization = OrganizationFactory.build(settings=values, **({"name": name} if name else {}))
        plugins = {plugin: {} for plugin in PLUGINS} | {"invoices": settings}
        org = await tenant_factory(database=invoices_db, organization=organization, plugins=plugins)
        people = (("owner", "Olga"), ("admin", "Adam"), ("staff", "Stan"), ("customer", "Alice"), ("customer", "Bob"))
        users = [
            await user_factory(org, database=invoices_db, role=role, first_name=first, last_name="Example")
            for role, first in people
        ]
        return Shop(org, *users)

    return make


@pytest.fixture
async def shop(make_shop) -> Shop:
    return await make_shop()


class Invoices:
    """The app under test (``h``, ``client``) and helpers for invoice tests."""

    API = API

    def __init__(self, harness: Any, database: Any) -> None:
        self.h = harness
        self.client = harness.client
        self.db = database

    async def create(self, user: TestUser, customer: TestUser | None = None, **fields: Any) -> dict[str, Any]:
        """Create an invoice as ``user`` (201 asserted): one line of 3 x 33.33 at 19 % unless told."""
        body: dict[str, Any] = {
            "lines": [{"description": "Consulting", "quantity": "3", "unit_price": "33.33", "tax_rate": "19"}]
        }
        if customer is not None:
            body["customer_id"] = str(customer.id)
        response = await self.client.post(API, json=body | fields, headers=user.headers)
        assert response.status_code == 201, response.text
        return response.json()

    async def issued(self, shop: Shop, customer: TestUser | None = None, **fields: Any) -> dict[str, Any]:
        """An invoice issued by the shop's admin to ``customer`` (Alice by default)."""
        return await self.create(shop.admin, customer or shop.alice, issue=True, **fields)

    async def post(self, user: TestUser, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self.client.post(f"{API}{path}", json={} if body is None else body, headers=user.headers)

    async def deliver(self) -> None:
        """Run the outbox relay until every committed event is delivered."""
        while await relay_for(self.h.kernel).run_once():
            pass

    async def run_jobs(self) -> int:
        return await JobRunner(self.h.kernel).run_due()

    async def events(self, shop: Shop, name: str) -> list[dict[str, Any]]:
        """Payloads of the committed events ``name`` of the workspace, oldest first."""
        async with self.db.db.platform_session() as session:
            rows = await session.execute(
                text(
                    "SELECT payload FROM event_outbox WHERE organization_id = :org AND name = :name "
                    "ORDER BY created_at, id"
                ),
                {"org": shop.org.id, "name": name},
            )
            return [row[0] for row in rows]

    async def sql(self, shop: Shop, statement: str, **params: Any) -> list[Any]:
        """Run ``statement`` in a transaction bound to the shop's workspace."""
        async with self.db.db.tenant_transaction(shop.org.id) as session:
            result = await session.execute(text(statement), params)
            return result.all() if result.returns_rows else []

    async def appointment(self, shop: Shop, customer: TestUser, *, price: str = "120.00") -> dict[str, Any]:
        """A booked (Upcoming) appointment of ``customer`` for a new service, through the appointments API."""
        service = await self.client.post(
            "/api/v1/services",
            json={"name": f"Tax advice {uuid.uuid4().hex[:6]}", "price": price, "duration_minutes": 60},
            headers=shop.admin.headers,
        )
        assert service.status_code == 201, service.text
        service_id = service.json()["id"]
        day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        body = {
            "service_id": service_id,
            "date": day,
            "start_time": "09:00",
            "end_time": "10:00",
            "duration_minutes": 60,
        }
        made = await self.client.post("/api/v1/appointments/slots/generate-day", json=body, headers=shop.admin.headers)
        assert made.status_code == 201, made.text
        slots = await self.client.get(
            f"/api/v1/appointments/slots?service_id={service_id}&date={day}", headers=customer.headers
        )
        assert slots.status_code == 200, slots.text
        booked = await self.client.post(
            "/api/v1/appointments",
            json={"slot_id": slots.json()[0]["id"], "meeting_type": "Virtual"},
            headers=customer.headers,
        )
        assert booked.status_code == 201, booked.text
        return booked.json() | {"service_name": service.json()["name"]}


@pytest.fixture
async def invoices(invoices_db, marcus_app_factory):
    async with marcus_app_factory(invoices_db, worker=False) as harness:
        yield Invoices(harness, invoices_db)


# Tests run with no tenant cache, so every permission check reloads the workspace's policy
# through a second pooled connection while the request holds its own: more concurrent
# requests than the pool has connections would wait on each other until the pool times out.
# Production keeps the policy cached; so do the concurrency tests (after a warm-up request).
CACHED = {"tenant_cache_ttl": 5.0}


@pytest.fixture
async def cached_invoices(invoices_db, marcus_app_factory):
    """Like ``invoices``, with the workspace's permissions cached as in production."""
    async with marcus_app_factory(invoices_db, worker=False, **CACHED) as harness:
        yield Invoices(harness, invoices_db)
