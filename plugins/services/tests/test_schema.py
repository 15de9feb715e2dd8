"""The plugin's tables follow the tenancy rules, and its API is fully described in OpenAPI."""

from __future__ import annotations

from decimal import Decimal

import pytest
from marcus_services.models import Category, Service
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from marcus.testing import rls_problems, sharding_problems


async def test_tables_are_under_forced_rls_and_shardable(services_db):
    async with services_db.db.platform_engine.connect() as conn:
        assert await rls_problems(conn) == []
        assert await sharding_problems(conn) == []
        unique = await conn.execute(
            text("SELECT conname FROM pg_constraint WHERE conrelid = 'services'::regclass AND contype = 'u'")
        )
        assert [row[0] for row in unique] == ["uq_services_organization_id_slug"]
    async with services_db.db.app_engine.connect() as conn:  # no tenant bound: nothing visible
        assert (await conn.execute(text("SELECT count(*) FROM services"))).scalar() == 0


async def test_every_route_is_typed_and_summarised(app):
    async with app() as h:
        schema = (await h.client.get("/openapi.json")).json()
    routes = {
        (method, path): operation
        for path, methods in schema["paths"].items()
        if path.startswith(("/api/v1/services", "/api/v1/settings"))
        for method, operation in methods.items()
    }
    assert len(routes) >= 18
    for (method, path), operation in routes.items():
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        ok = next(code for code in operation["responses"] if code.startswith("2"))
        if ok != "204":
            assert operation["responses"][ok].get("content"), (method, path)
    price = schema["components"]["schemas"]["ServiceRead"]["properties"]["price"]
    assert price["type"] == "string"


async def test_rows_never_cross_workspaces(make_shop, services_db):
    """RLS hides another workspace's rows; the composite key refuses a link into its categories."""
    mine, other = await make_shop(), await make_shop()
    async with services_db.db.tenant_session(mine.org.id) as session:
        category_id = await session.scalar(select(Category.id).where(Category.organization_id == mine.org.id))
    async with services_db.db.tenant_session(other.org.id) as session:
        assert await session.scalar(select(Category).where(Category.id == category_id)) is None
        session.add(
            Service(name="Sneaky", slug="sneaky", price=Decimal("1"), duration_minutes=5, category_id=category_id)
        )
        with pytest.raises(IntegrityError):
            await session.commit()
