"""Catalog checks: every tenant table is under forced RLS with a policy, and keys stay shardable."""

from __future__ import annotations

from sqlalchemy import text

from marcus.testing import rls_problems, sharding_problems


async def test_every_tenant_table_has_forced_rls_and_a_policy(example_database, marcus_database):
    for database in (example_database, marcus_database):
        async with database.db.platform_engine.connect() as conn:
            assert await rls_problems(conn) == []


async def test_keys_and_indexes_include_organization_id(example_database, marcus_database):
    for database in (example_database, marcus_database):
        async with database.db.platform_engine.connect() as conn:
            assert await sharding_problems(conn) == []


async def test_the_catalog_check_catches_an_unprotected_table(example_database):
    """The check can fail: a tenant table without FORCE, one without a policy, an unsafe view."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from marcus.db.engine import to_async_url

    engine = create_async_engine(to_async_url(example_database.admin_url))
    try:
        async with engine.connect() as conn:
            tx = await conn.begin()
            await conn.execute(
                text("CREATE TABLE leaky (organization_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (id))")
            )
            await conn.execute(text("ALTER TABLE leaky ENABLE ROW LEVEL SECURITY"))
            await conn.execute(text("CREATE INDEX ix_leaky_id ON leaky (id)"))
            await conn.execute(text("CREATE VIEW leaky_view AS SELECT * FROM leaky"))
            problems = await rls_problems(conn)
            shard = await sharding_problems(conn)
            await tx.rollback()
    finally:
        await engine.dispose()
    assert "table leaky lacks FORCE, a policy row-level security (use marcus.enable_tenant_rls)" in problems
    assert "view leaky_view is not security_invoker" in problems
    assert any("leaky" in p and "primary key" in p for p in shard)
    assert any("ix_leaky_id" in p for p in shard)
