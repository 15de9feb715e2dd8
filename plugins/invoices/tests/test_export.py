"""The accountants' CSV: one row per invoice of the workspace (the list's filters apply),
exact decimal amounts with their currency, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from marcus_invoices import export, service

import marcus


async def exported(invoices, user, query: str = "") -> list[dict[str, str]]:
    response = await invoices.client.get(f"{invoices.API}/export.csv{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_the_csv_has_one_right_row_per_invoice(invoices, shop, make_shop):
    await invoices.sql(
        shop, "UPDATE users SET company_name = '=HYPERLINK(1)', vat_id = 'AT1' WHERE id = :id", id=shop.bob.id
    )
    paid = await invoices.issued(shop, shop.alice)
    await invoices.post(shop.admin, f"/{paid['id']}/payments", {"amount": "118.99", "method": "Cash"})
    partly = await invoices.issued(
        shop, shop.bob, lines=[{"description": "Audit", "quantity": "2", "unit_price": "500", "tax_rate": "20"}]
    )
    await invoices.post(shop.admin, f"/{partly['id']}/payments", {"amount": "200.50"})
    draft = await invoices.create(shop.admin, shop.alice)
    other = await make_shop()
    await invoices.issued(other)  # another workspace: never exported here

    rows = await exported(invoices, shop.owner)
    assert [r["invoice_id"] for r in rows] == [draft["id"], partly["id"], paid["id"]]
    by_id = {r["invoice_id"]: r for r in rows}
    assert {
        k: by_id[paid["id"]][k]
        for k in ("number", "status", "currency", "subtotal", "tax", "total", "paid", "balance", "customer_email")
    } == {
        "number": paid["number"],
        "status": "Paid",
        "currency": "EUR",
        "subtotal": "99.99",
        "tax": "19.00",
        "total": "118.99",
        "paid": "118.99",
        "balance": "0.00",
        "customer_email": shop.alice.email,
    }
    assert by_id[paid["id"]]["paid_at"].endswith("+00:00")
    bob = by_id[partly["id"]]
    assert (bob["total"], bob["paid"], bob["balance"], bob["status"]) == (
        "1200.00",
        "200.50",
        "999.50",
        "PartiallyPaid",
    )
    assert (bob["company_name"], bob["customer_vat_id"], bob["customer_name"]) == (
        "'=HYPERLINK(1)",
        "AT1",
        "Bob Example",
    )
    assert (by_id[draft["id"]]["number"], by_id[draft["id"]]["issue_date"]) == ("", "")

    filtered = await exported(invoices, shop.admin, "?status=PartiallyPaid")
    assert [r["invoice_id"] for r in filtered] == [partly["id"]]
    assert list(rows[0]) == [
        "number",
        "status",
        "issue_date",
        "due_date",
        "customer_name",
        "customer_email",
        "company_name",
        "customer_vat_id",
        "currency",
        "subtotal",
        "tax",
        "total",
        "paid",
        "balance",
        "payment_type",
        "paid_at",
        "created_at",
        "invoice_id",
    ]


async def test_a_large_export_streams_every_row_in_batches(invoices, shop):
    await invoices.sql(
        shop,
        "INSERT INTO invoices (organization_id, id, status, customer_id, currency, total, subtotal)"
        " SELECT :org, gen_random_uuid(), 'Draft', :customer, 'EUR', 0, 0 FROM generate_series(1, 1200)",
        org=shop.org.id,
        customer=shop.alice.id,
    )
    await invoices.create(shop.admin, shop.alice)
    response = await invoices.client.get(f"{invoices.API}/export.csv", headers=shop.admin.headers)
    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 1201

    # The body is produced batch by batch from a server-side cursor, not built in memory.
    principal = marcus.Principal(
        user_id=shop.admin.id, org_id=shop.org.id, email=shop.admin.email, session_id=shop.org.id
    )
    grant = marcus.Grant(principal=principal, permission="invoices.invoice:export", scope="any")
    tenant = await invoices.h.kernel.tenants.by_id(shop.org.id)
    async with invoices.db.db.tenant_session(shop.org.id) as session:
        chunks = [
            c async for c in export.csv_chunks(session, service.listed(grant, service.InvoiceFilters()), tenant=tenant)
        ]
    assert len(chunks) == 1 + 3  # the header, then 500 + 500 + 201 rows
    assert [c.count("\r\n") for c in chunks] == [1, export.BATCH, export.BATCH, 201]
