"""The plugin's tables follow the tenancy rules (forced RLS, keys that shard by workspace,
composite foreign keys), and its API is fully described in OpenAPI."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from marcus.testing import rls_problems, sharding_problems

TABLES = ("invoices", "invoices_lines", "invoices_payments", "invoices_counters")


async def test_tables_are_under_forced_rls_and_shardable(invoices_db):
    async with invoices_db.db.platform_engine.connect() as conn:
        assert await rls_problems(conn) == []
        assert await sharding_problems(conn) == []
        fks = await conn.execute(
            text(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f'"
                " AND (conrelid::regclass::text LIKE 'invoices%' OR confrelid = 'invoices'::regclass)"
            )
        )
        names = {row[1] for row in fks}
        assert {
            "fk_documents_organization_id_invoice_id_invoices",
            "fk_appointments_organization_id_invoice_id_invoices",
        } <= names
    async with invoices_db.db.app_engine.connect() as conn:  # no tenant bound: nothing visible
        for table in TABLES:
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0


async def test_rows_never_point_into_another_workspace(invoices, shop, make_shop):
    other = await make_shop()
    with pytest.raises(IntegrityError):  # the customer belongs to another workspace
        await invoices.sql(
            other,
            "INSERT INTO invoices (organization_id, id, customer_id, currency) VALUES (:org, gen_random_uuid(), :c, 'EUR')",
            org=other.org.id,
            c=shop.alice.id,
        )
    mine = await invoices.issued(shop)
    with pytest.raises(IntegrityError):  # a payment for another workspace's invoice
        await invoices.sql(
            other,
            "INSERT INTO invoices_payments (organization_id, id, invoice_id, amount, paid_on, method)"
            " VALUES (:org, gen_random_uuid(), :i, 1, now(), 'Cash')",
            org=other.org.id,
            i=mine["id"],
        )


async def test_the_database_refuses_inconsistent_money(invoices, shop):
    invoice = await invoices.issued(shop)
    for statement in (
        "UPDATE invoices SET amount_paid = total + 1 WHERE id = :i",
        "UPDATE invoices SET number = NULL WHERE id = :i",
        "UPDATE invoices_lines SET total = net WHERE invoice_id = :i AND tax > 0",
        "UPDATE invoices SET status = 'Unpaid' WHERE id = :i",
    ):
        with pytest.raises(IntegrityError):
            await invoices.sql(shop, statement, i=invoice["id"])


async def test_every_route_is_typed_and_summarised(invoices):
    schema = (await invoices.client.get("/openapi.json")).json()
    routes = {
        (method, path): operation
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/invoices")
        for method, operation in methods.items()
    }
    assert len(routes) == 11
    for (method, path), operation in routes.items():
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        ok = next(code for code in operation["responses"] if code.startswith("2"))
        if ok != "204":
            assert operation["responses"][ok].get("content"), (method, path)
    read = schema["components"]["schemas"]["InvoiceRead"]["properties"]
    for money in ("subtotal", "tax_total", "total", "amount_paid", "balance"):
        assert read[money]["type"] == "string", money
