"""Row-level security proofs against real PostgreSQL, as the app role the API serves with."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from marcus.db.engine import (
    Database,
    TenantNotBound,
    bound_by_first_statement,
    fetch_dicts,
    ping_when_rested,
    psycopg_sql,
    to_async_url,
)
from marcus.db.roles import app_role_problems, libpq_url
from marcus.testing import TestDatabase


@pytest.fixture
async def two_tenants(example_database: TestDatabase, tenant_factory):
    a = await tenant_factory(database=example_database, plugins=["example"])
    b = await tenant_factory(database=example_database, plugins=["example"])
    for org, names in ((a, ["A1", "A2"]), (b, ["B1"])):
        async with example_database.db.tenant_transaction(org.id) as session:
            for name in names:
                await session.execute(
                    text("INSERT INTO example_projects (organization_id, id, name) VALUES (:org, :id, :name)"),
                    {"org": org.id, "id": uuid.uuid4(), "name": name},
                )
    return a, b


async def test_no_tenant_bound_sees_nothing_and_cannot_insert(example_database: TestDatabase, two_tenants):
    a, _ = two_tenants
    async with example_database.db.app_engine.connect() as conn:
        assert (await conn.execute(text("SELECT * FROM example_projects"))).all() == []
        assert (await conn.execute(text("SELECT * FROM organization_plugins"))).all() == []
        with pytest.raises(DBAPIError) as caught:
            await conn.execute(
                text("INSERT INTO example_projects (organization_id, id, name) VALUES (:org, :id, 'x')"),
                {"org": a.id, "id": uuid.uuid4()},
            )
        assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege)
        assert "row-level security" in str(caught.value.orig)


async def test_bound_tenant_sees_only_its_rows(example_database: TestDatabase, two_tenants):
    a, b = two_tenants
    async with example_database.db.tenant_session(a.id) as session:
        rows = (await session.execute(text("SELECT organization_id, name FROM example_projects ORDER BY name"))).all()
    assert [r.name for r in rows] == ["A1", "A2"]
    assert {r.organization_id for r in rows} == {a.id}
    async with example_database.db.tenant_session(b.id) as session:
        orgs = (await session.execute(text("SELECT id FROM organizations"))).scalars().all()
    assert orgs == [b.id]


async def test_bound_tenant_cannot_write_into_another(example_database: TestDatabase, two_tenants):
    a, b = two_tenants
    async with example_database.db.tenant_session(a.id) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text("INSERT INTO example_projects (organization_id, id, name) VALUES (:org, :id, 'sneaky')"),
                {"org": b.id, "id": uuid.uuid4()},
            )
    async with example_database.db.tenant_transaction(a.id) as session:
        updated = await session.execute(
            text("UPDATE example_projects SET name = 'hijacked' WHERE organization_id = :b"), {"b": b.id}
        )
        assert updated.rowcount == 0


async def test_pooled_connection_reused_by_another_tenant_sees_only_its_rows(
    example_database: TestDatabase, two_tenants
):
    a, b = two_tenants
    settings = example_database.settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    db = Database(settings, admin_url=example_database.admin_url)
    try:
        seen = {}
        for org in (a, b, a):
            async with db.tenant_transaction(org.id) as session:
                pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
                names = (await session.execute(text("SELECT name FROM example_projects ORDER BY name"))).scalars().all()
                seen.setdefault(org.slug, []).append((pid, names))
        pids = {pid for runs in seen.values() for pid, _ in runs}
        assert len(pids) == 1, "the pool of one must hand the same backend to both tenants"
        assert all(names == ["A1", "A2"] for _, names in seen[a.slug])
        assert seen[b.slug][0][1] == ["B1"]
        async with db.app_engine.connect() as conn:  # after the tenant transactions: nothing leaks
            assert (await conn.execute(text("SELECT current_setting('marcus.org_id', true)"))).scalar() in (
                None,
                "",
            )
            assert (await conn.execute(text("SELECT count(*) FROM example_projects"))).scalar() == 0
    finally:
        await db.dispose()


async def test_composite_fk_rejects_reference_into_another_tenant(example_database: TestDatabase, two_tenants):
    a, b = two_tenants
    async with example_database.db.platform_session() as session:  # BYPASSRLS: only the FK can stop it
        project_of_a = (
            await session.execute(
                text("SELECT id FROM example_projects WHERE organization_id = :a LIMIT 1"), {"a": a.id}
            )
        ).scalar()
        with pytest.raises(IntegrityError, match="fk_example_tasks"):
            await session.execute(
                text("INSERT INTO example_tasks (organization_id, id, project_id, title) VALUES (:b, :id, :p, 't')"),
                {"b": b.id, "id": uuid.uuid4(), "p": project_of_a},
            )


async def test_tenant_session_without_tenant_raises(example_database: TestDatabase):
    async with example_database.db.unbound_session() as session:
        with pytest.raises(TenantNotBound):
            await session.execute(text("SELECT 1"))


async def test_orm_refuses_row_for_another_tenant(example_database: TestDatabase, example_plugin, two_tenants):
    a, b = two_tenants
    async with example_database.db.tenant_session(a.id) as session:
        session.add(example_plugin.Project(organization_id=b.id, name="elsewhere"))
        with pytest.raises(Exception, match="another tenant"):
            await session.flush()


async def test_app_role_is_safe_and_admin_role_is_refused(example_database: TestDatabase):
    assert await app_role_problems(example_database.db.app_engine) == []
    admin = create_async_engine(to_async_url(example_database.admin_url))
    try:
        problems = await app_role_problems(admin)
    finally:
        await admin.dispose()
    assert any("superuser" in p for p in problems)


async def test_a_first_statement_that_binds_itself_never_leaves_a_later_transaction_unbound(
    example_database: TestDatabase, two_tenants
):
    a, _ = two_tenants
    names = text("SELECT name FROM example_projects ORDER BY name")
    binds_itself = text("SELECT set_config('marcus.org_id', CAST(:org AS text), true)")
    async with example_database.db.tenant_session(a.id) as session:
        async with bound_by_first_statement(session, a.id) as applies:
            assert applies  # no transaction yet: the hook leaves the binding to this statement
            await session.execute(binds_itself, {"org": a.id})
        assert (await session.execute(names)).scalars().all() == ["A1", "A2"]
        async with bound_by_first_statement(session, a.id) as applies:
            assert not applies  # already in a transaction, bound by the hook
        await session.commit()
        async with bound_by_first_statement(session, uuid.uuid4()) as applies:
            assert not applies  # another tenant than the session's: never trusted
        # the next transaction is bound by the hook as always
        assert (await session.execute(names)).scalars().all() == ["A1", "A2"]


async def test_a_rested_connection_cut_while_idle_is_replaced_before_use(example_database: TestDatabase, two_tenants):
    a, _ = two_tenants
    settings = example_database.settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    db = Database(settings, admin_url=example_database.admin_url)
    ping_when_rested(db.app_engine, rest=0.0)  # every check-out counts as rested (a second ping does no harm)
    try:
        async with db.tenant_transaction(a.id) as session:
            first = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
        with psycopg.connect(libpq_url(example_database.admin_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        async with db.tenant_transaction(a.id) as session:  # no error: the dead connection was replaced
            second = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
            names = (await session.execute(text("SELECT name FROM example_projects ORDER BY name"))).scalars().all()
        assert second != first
        assert names == ["A1", "A2"]
    finally:
        await db.dispose()


async def test_straight_to_psycopg_is_bound_and_sees_only_its_tenant(example_database: TestDatabase, two_tenants):
    """``marcus.fetch_dicts`` (the hot lists' path around SQLAlchemy's execution) runs in the
    session's transaction: the tenant is bound before it, and RLS still filters."""
    a, b = two_tenants
    sql = psycopg_sql(
        select(column("name"), column("organization_id"))
        .select_from(table("example_projects"))
        .where(column("name") != bindparam("skip"))
        .order_by(column("name"))
    )
    assert "%(skip)s" in sql
    async with example_database.db.tenant_session(a.id) as session:
        rows = await fetch_dicts(session, sql, {"skip": "A2"})
        assert session.in_transaction()
    assert rows == [{"name": "A1", "organization_id": a.id}]
    async with example_database.db.tenant_session(b.id) as session:
        assert await fetch_dicts(session, sql, {"skip": "none"}) == [{"name": "B1", "organization_id": b.id}]
