"""The plugin's tables pass the kernel's catalog checks, and row-level security holds."""

from __future__ import annotations

from sqlalchemy import text

from marcus.testing import rls_problems, sharding_problems


async def test_tables_are_under_forced_rls_and_shardable(appointments_db):
    async with appointments_db.db.platform_engine.connect() as conn:
        assert await rls_problems(conn) == []
        assert await sharding_problems(conn) == []


async def test_another_workspaces_rows_are_invisible(kit, ready, appointments_db, make_shop):
    async with ready() as (h, shop):
        slot = (await kit.make_slots(h, shop, count=1))[0]
        await kit.book(h, shop.alice, slot["id"])
        other = await make_shop()
        async with appointments_db.db.tenant_session(other.org.id) as session:
            for table in ("appointments", "appointments_slots", "appointments_counters"):
                assert await session.scalar(text(f"SELECT count(*) FROM {table}")) == 0
