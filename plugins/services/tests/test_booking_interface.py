"""What other plugins rely on: ``get_bookable_service``, the composite key appointments will
reference (deleting a referenced service is refused), and the activity feed entries."""

from __future__ import annotations

import uuid

import pytest
from marcus_services.models import Service
from marcus_services.service import get_bookable_service
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import marcus


async def test_get_bookable_service_finds_active_services_only(shop, make_shop, app, create_service, services_db):
    other = await make_shop()
    async with app() as h:
        active = await create_service(h, shop, name="Active", price="80.50", duration_minutes=45)
        inactive = await create_service(h, shop, name="Paused", status="inactive")
        archived = await create_service(h, shop, name="Old")
        await h.client.post(f"/api/v1/services/{archived['id']}/archive", headers=shop.admin.headers)
    async with services_db.db.tenant_session(shop.org.id) as session:
        found = await get_bookable_service(session, org_id=shop.org.id, service_id=uuid.UUID(active["id"]))
        assert isinstance(found, Service)
        assert (found.organization_id, found.slug, found.name, found.status) == (
            shop.org.id,
            "active",
            "Active",
            "active",
        )
        assert (str(found.price), found.duration_minutes) == ("80.50", 45)
        for closed in (inactive, archived):
            with pytest.raises(marcus.Conflict) as refused:
                await get_bookable_service(session, org_id=shop.org.id, service_id=uuid.UUID(closed["id"]))
            assert refused.value.code == "service_not_bookable"
        with pytest.raises(marcus.NotFound):
            await get_bookable_service(session, org_id=shop.org.id, service_id=uuid.uuid4())
    async with services_db.db.tenant_session(other.org.id) as session:
        with pytest.raises(marcus.NotFound):  # another workspace's service does not exist for it
            await get_bookable_service(session, org_id=other.org.id, service_id=uuid.UUID(active["id"]))


async def test_a_referenced_service_cannot_be_deleted_but_can_be_archived(shop, app, create_service, services_db):
    """Appointments will reference (organization_id, service_id); a stand-in table does it here."""
    engine = create_async_engine(_async(services_db.admin_url))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS test_bookings (organization_id uuid NOT NULL, id uuid NOT NULL,"
                " service_id uuid NOT NULL, PRIMARY KEY (organization_id, id),"
                " FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id))"
            )
        )
    try:
        async with app() as h:
            created = await create_service(h, shop)
            async with engine.begin() as conn:
                await conn.execute(
                    text("INSERT INTO test_bookings VALUES (:org, :id, :service)"),
                    {"org": shop.org.id, "id": uuid.uuid4(), "service": created["id"]},
                )
            url = f"/api/v1/services/{created['id']}"
            refused = await h.client.delete(url, headers=shop.admin.headers)
            assert refused.status_code == 409
            assert refused.json()["code"] == "service_in_use"
            archived = await h.client.post(f"{url}/archive", headers=shop.admin.headers)
            assert archived.json()["status"] == "archived"
            assert (await h.client.get("/api/v1/services", headers=shop.tenant)).json()["total"] == 0
            assert (await h.client.get("/api/v1/services?status=archived", headers=shop.admin.headers)).json()[
                "total"
            ] == 1
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE test_bookings"))
        await engine.dispose()


def _async(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


async def test_admin_changes_are_in_the_activity_feed_without_notifications(shop, app, create_service, deliver):
    async with app() as h:
        created = await create_service(h, shop, name="Audit")
        url = f"/api/v1/services/{created['id']}"
        await h.client.patch(url, json={"price": "99.00", "name": "Audit plus"}, headers=shop.admin.headers)
        await h.client.post(f"{url}/archive", headers=shop.admin.headers)
        await h.client.delete(url, headers=shop.admin.headers)
        await h.client.post("/api/v1/services/categories", json={"name": "Extra"}, headers=shop.admin.headers)
        await deliver(h)
        feed = (await h.client.get("/api/v1/activities?limit=100", headers=shop.admin.headers)).json()["items"]
        described = [a["description"] for a in feed]
        for expected in (
            "Service 'Audit' was added.",
            "Service 'Audit plus' changed: name, price.",
            "Service 'Audit plus' was archived.",
            "Service 'Audit plus' was deleted.",
            "Category 'Extra' was added.",
        ):
            assert expected in described
        assert {a["actor_id"] for a in feed if a["type"] == "Service"} == {str(shop.admin.id)}
        for user in (shop.admin, shop.customer):
            notes = (await h.client.get("/api/v1/notifications", headers=user.headers)).json()
            assert notes["total"] == 0
