"""The loyalty plugin as a third party tests it: installed next to Marcus, with marcus.testing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import marcus_appointments.plugin as appointments
import marcus_loyalty.plugin as loyalty
import marcus_services.plugin as services
import pytest
import socketio
from marcus_appointments.events import Completed

import marcus
from marcus.testing import relay_for, rls_problems

PLUGINS = [services, appointments, loyalty]


@pytest.fixture(scope="module")
async def db(marcus_make_database):
    database = marcus_make_database(PLUGINS)
    yield database
    await database.dispose()


async def workspace(db, tenant_factory, user_factory, *, points=None):
    enabled = {
        "services": {},
        "appointments": {},
        "loyalty": {} if points is None else {"points_per_appointment": points},
    }
    org = await tenant_factory(database=db, plugins=enabled, installed=PLUGINS)
    return org, await user_factory(org, database=db), await user_factory(org, database=db, role="admin")


async def complete(kernel, org, customer_id, appointment_id=None):
    appointment_id = appointment_id or uuid.uuid4()
    event = Completed(
        customer_id=customer_id,
        appointment_id=appointment_id,
        number="APPT-000001",
        status="Completed",
        service_id=uuid.uuid4(),
        starts_at=datetime.now(UTC),
    )
    async with kernel.db.tenant_transaction(org.id) as session:
        await marcus.publish(session, event)
    while await relay_for(kernel).run_once():
        pass
    return appointment_id


async def test_points_are_earned_once_per_appointment_and_shown(db, tenant_factory, user_factory, marcus_app_factory):
    org, customer, admin = await workspace(db, tenant_factory, user_factory, points=25)
    _other_org, stranger, _ = await workspace(db, tenant_factory, user_factory)
    async with marcus_app_factory(db, worker=False) as h:
        first = await complete(h.kernel, org, customer.id)
        await complete(h.kernel, org, customer.id, appointment_id=first)  # delivered twice: counted once
        await complete(h.kernel, org, customer.id)
        mine = (await h.client.get("/api/v1/loyalty/balance", headers=customer.headers)).json()
        assert mine == {"customer_id": str(customer.id), "points": 50}
        by_staff = await h.client.get(f"/api/v1/loyalty/balance?customer_id={customer.id}", headers=admin.headers)
        assert by_staff.json()["points"] == 50
        board = (await h.client.get("/api/v1/dashboard", headers=customer.headers)).json()
        assert board["stats"]["loyalty_points"] == 50
        nosy = await h.client.get(f"/api/v1/loyalty/balance?customer_id={customer.id}", headers=stranger.headers)
        assert nosy.status_code == 404  # another workspace's customer does not exist here
    async with db.db.platform_engine.connect() as conn:
        assert await rls_problems(conn) == []


async def test_disabled_workspace_gets_no_points_and_no_route(db, tenant_factory, user_factory, marcus_app_factory):
    org = await tenant_factory(database=db, plugins={"services": {}, "appointments": {}}, installed=PLUGINS)
    customer = await user_factory(org, database=db)
    async with marcus_app_factory(db, worker=False) as h:
        await complete(h.kernel, org, customer.id)
        assert (await h.client.get("/api/v1/loyalty/balance", headers=customer.headers)).status_code == 404


async def test_points_are_pushed_live(db, tenant_factory, user_factory, marcus_live_server):
    org, customer, _ = await workspace(db, tenant_factory, user_factory)
    received: list[dict] = []
    async with marcus_live_server(db) as server:
        client = socketio.AsyncClient(reconnection=False)
        client.on("points:earned", lambda data: received.append(data), namespace="/loyalty")
        await client.connect(
            server.url,
            namespaces=["/loyalty"],
            auth=customer.auth,
            headers={"X-Tenant": customer.slug},
            transports=["websocket"],
            wait_timeout=5,
        )
        event = Completed(
            customer_id=customer.id,
            appointment_id=uuid.uuid4(),
            number="APPT-000009",
            status="Completed",
            service_id=uuid.uuid4(),
            starts_at=datetime.now(UTC),
        )
        async with server.app.kernel.db.tenant_transaction(org.id) as session:
            await marcus.publish(session, event)
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.05)
        await client.disconnect()
    assert received == [{"earned": 10, "balance": 10, "appointment": "APPT-000009"}]
