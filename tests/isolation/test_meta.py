"""Meta-tests of the isolation matrix: it covers every route of the schema and every tenant
table, its markers are really visible to their own audience (so a scan that finds none means
something), and A's credentials do nothing on B's host."""

from __future__ import annotations

from typing import Any

from marcus.db.base import Base, TenantScoped
from marcus.plugins import load_plugins


def test_every_route_is_classified(matrix: Any, routes: Any) -> None:
    """A new route (a plugin's, or compat's seed-API paths) must join ROUTES or NO_TENANT_DATA."""
    keys = set(matrix.operations(matrix.openapi()))
    unclassified = sorted(keys - set(routes.ROUTES) - set(routes.NO_TENANT_DATA))
    assert not unclassified, f"routes neither in the isolation matrix nor in NO_TENANT_DATA: {unclassified}"
    assert not set(routes.ROUTES) & set(routes.NO_TENANT_DATA)
    stale = sorted((set(routes.ROUTES) | set(routes.NO_TENANT_DATA)) - keys)
    assert not stale, f"classified routes that are no longer in the schema: {stale}"


def test_every_tenant_model_has_a_factory(seed: Any) -> None:
    """Every ``TenantScoped`` model of the kernel and the installed plugins is seeded by the matrix."""
    load_plugins()  # imports every installed plugin's models into the shared metadata
    tables = {
        mapper.class_.__tablename__ for mapper in Base.registry.mappers if issubclass(mapper.class_, TenantScoped)
    }
    assert tables, "no TenantScoped model found"
    assert not sorted(tables - set(seed.FACTORIES)), "tenant models without a factory in seed.FACTORIES"


async def test_every_tenant_table_is_seeded(world: Any, seed: Any) -> None:
    """Every table under forced RLS has a factory, and A really has rows in it."""
    missing = sorted(set(world.tables) - set(seed.FACTORIES))
    assert not missing, f"tenant tables without a factory in seed.FACTORIES: {missing}"
    empty = sorted(t for t in world.tables if not world.a.counts.get(t))
    assert not empty, f"seeding left these tenant tables of A empty: {empty}"
    assert not sorted(set(seed.FACTORIES) - set(world.tables)), "FACTORIES names tables that no longer exist"


async def test_markers_reach_their_own_audience(world: Any, matrix: Any) -> None:
    """The scans look for strings that do appear where they may: public ones anonymously, a
    customer's own to that customer, staff-only ones to the owner, B's to B's admin."""
    a, b, client = world.a, world.b, world.h.client
    posts = await client.get("/api/v1/blog/posts", headers=a.tenant)
    assert posts.status_code == 200
    assert any(m in posts.text for m in a.strings["public"])
    mine = await client.get("/api/v1/appointments", headers=a.alice.headers)
    assert any(m in mine.text for m in a.private["alice"])
    every = await client.get("/api/v1/appointments", headers=a.owner.headers)
    assert any(m in every.text for m in a.private["alice"])
    assert any(m in every.text for m in a.private["bob"])
    drafts = await client.get("/api/v1/blog/posts", headers=a.owner.headers)
    assert any(m in drafts.text for m in a.staff_only)
    theirs = await client.get("/api/v1/invoices", headers=b.admin.headers)
    assert any(m in theirs.text for m in b.private["alice"])
    # PDFs are scanned too: the owner's export shows the customers' names and the service.
    pdf = await client.get("/api/v1/appointments/export/pdf", headers=a.owner.headers)
    assert pdf.status_code == 200
    assert any(m in matrix.readable(pdf.content) for m in a.strings["public"])
    # b_token's requests name A by its custom domain: that host really is A.
    by_host = await client.get("/api/v1/services", headers={"Host": a.objects["domain"]})
    assert by_host.status_code == 200
    assert any(m in by_host.text for m in a.strings["public"])


async def test_cross_tenant_credentials(world: Any) -> None:
    """A's password, refresh token and access token do nothing on B's host."""
    a, b, client = world.a, world.b, world.h.client
    login = await client.post(
        "/api/v1/auth/login", json={"email": a.alice.email, "password": a.alice.password}, headers=b.tenant
    )
    assert login.status_code == 401, login.text
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": a.alice.refresh_token}, headers=b.tenant)
    assert refresh.status_code == 401, refresh.text
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {a.alice.access_token}", **b.tenant})
    assert me.status_code == 401, me.text
    control = await client.get("/api/v1/me", headers=a.alice.headers)
    assert control.status_code == 200
    assert control.json()["email"] == a.alice.email


async def test_routes_without_tenant_data_show_none(world: Any, matrix: Any, routes: Any) -> None:
    """The GET routes classified as touching no tenant data really show none of A's (after
    A's traffic: metrics and health answers are where a label or a cache would leak it)."""
    keys = [k for k in routes.NO_TENANT_DATA if k.startswith("GET ") and "{" not in k]
    assert keys
    for key in keys:
        for headers in (world.b.tenant, world.b.admin.headers, world.a.tenant):
            response = await world.h.client.get(key.split(" ", 1)[1], headers=headers)
            found = matrix.leaks(response, world.a.everything(), set())
            assert not found, f"{key} shows A's {found}"
