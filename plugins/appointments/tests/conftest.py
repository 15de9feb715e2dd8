"""Fixtures of the appointments plugin's tests: a database migrated with the services and
appointments plugins, a workspace (time zone and plugin settings chosen per test) with its
admin, staff and two customers, one bookable service, and helpers to make slots and book."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import marcus_appointments.plugin as appointments_plugin
import marcus_services.plugin as services_plugin
import pytest
from sqlalchemy import text

from marcus.testing import OrganizationFactory, TestUser, relay_for

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Shop:
    """A workspace with the appointments plugin, its people and a service."""

    org: Any
    admin: TestUser
    staff: TestUser
    alice: TestUser
    bob: TestUser
    service_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant(self) -> dict[str, str]:
        return {"X-Tenant": self.org.slug}


@pytest.fixture(scope="module")
async def appointments_db(marcus_make_database):
    database = marcus_make_database([services_plugin, appointments_plugin])
    yield database
    await database.dispose()


@pytest.fixture
def app(appointments_db, marcus_app_factory):
    """``async with app() as h``: Marcus with services + appointments, background work off."""

    def start(**settings: Any):
        return marcus_app_factory(appointments_db, worker=False, **settings)

    return start


@pytest.fixture
def make_shop(appointments_db, tenant_factory, user_factory):
    """``await make_shop(time_zone="Europe/Berlin", cancellation_cutoff_hours=24)``."""

    async def make(time_zone: str = "UTC", **plugin_settings: Any) -> Shop:
        organization = OrganizationFactory.build(settings={"time_zone": time_zone, "currency": "EUR", "language": "en"})
        org = await tenant_factory(
            database=appointments_db,
            organization=organization,
            plugins={"services": {}, "appointments": plugin_settings},
        )
        users = [
            await user_factory(org, database=appointments_db, role=role, first_name=name)
            for role, name in (("admin", "Ada"), ("staff", "Sam"), ("customer", "Alice"), ("customer", "Bob"))
        ]
        return Shop(org, *users)

    return make


@pytest.fixture
async def shop(make_shop) -> Shop:
    return await make_shop()


async def add_service(h, shop: Shop, **fields: Any) -> str:
    body = {"name": f"Consulting {uuid.uuid4().hex[:6]}", "price": "120.00", "duration_minutes": 60} | fields
    response = await h.client.post("/api/v1/services", json=body, headers=shop.admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def make_slots(
    h,
    shop: Shop,
    *,
    service_id: str | None = None,
    days_ahead: int = 3,
    count: int = 4,
    capacity: int = 1,
    minutes: int = 30,
) -> list[dict[str, Any]]:
    """``count`` slots of ``minutes`` from 09:00 local on a day ``days_ahead`` from now."""
    service_id = service_id or shop.service_id
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
    end_minutes = 9 * 60 + count * minutes
    body = {
        "service_id": service_id,
        "date": day.isoformat(),
        "start_time": "09:00",
        "end_time": f"{end_minutes // 60:02d}:{end_minutes % 60:02d}",
        "duration_minutes": minutes,
        "capacity": capacity,
    }
    response = await h.client.post("/api/v1/appointments/slots/generate-day", json=body, headers=shop.admin.headers)
    assert response.status_code == 201, response.text
    listed = await h.client.get(
        f"/api/v1/appointments/slots?service_id={service_id}&date={day.isoformat()}", headers=shop.alice.headers
    )
    assert listed.status_code == 200, listed.text
    return listed.json()


async def book(h, user: TestUser, slot_id: str, **fields: Any):
    body = {"slot_id": slot_id, "meeting_type": "Virtual"} | fields
    return await h.client.post("/api/v1/appointments", json=body, headers=user.headers)


@pytest.fixture
def ready(app, make_shop):
    """``async with ready(**settings) as (h, shop)``: a running app and a shop with a service."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(time_zone: str = "UTC", app_settings: dict[str, Any] | None = None, **plugin_settings: Any):
        shop = await make_shop(time_zone, **plugin_settings)
        async with app(**(app_settings or {})) as h:
            shop.service_id = await add_service(h, shop)
            yield h, shop

    return start


async def deliver(h) -> None:
    """Run the outbox relay until every committed event is delivered."""
    while await relay_for(h.kernel).run_once():
        pass


async def slot_consistency(database, org_id) -> list[tuple[Any, ...]]:
    """Slots whose ``booked`` differs from their seat-holding appointments (should be none),
    and slots with two active appointments."""
    async with database.db.platform_session() as session:
        rows = await session.execute(
            text(
                """
                SELECT s.id, s.booked, s.capacity,
                       (SELECT count(*) FROM appointments a WHERE a.organization_id = s.organization_id
                          AND a.slot_id = s.id AND a.status <> 'Cancelled') AS holding,
                       (SELECT count(*) FROM appointments a WHERE a.organization_id = s.organization_id
                          AND a.slot_id = s.id AND a.status IN ('Pending', 'Upcoming')) AS active
                FROM appointments_slots s WHERE s.organization_id = :org
                """
            ),
            {"org": org_id},
        )
        return [tuple(r) for r in rows if r.booked != r.holding or r.active > r.capacity]


class Kit:
    """The helpers above, as one fixture (test modules cannot import conftest under importlib)."""

    PDF, PNG = PDF, PNG
    add_service = staticmethod(add_service)
    make_slots = staticmethod(make_slots)
    book = staticmethod(book)
    deliver = staticmethod(deliver)
    slot_consistency = staticmethod(slot_consistency)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
