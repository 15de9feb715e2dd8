"""Who sees what: customers only their own issued invoices (404 otherwise), staff the
workspace's, nobody another workspace's; the list's filters, search and date range."""

from __future__ import annotations

import pytest


async def listed(invoices, user, query: str = "") -> list[dict]:
    response = await invoices.client.get(f"{invoices.API}{query}", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_customer_sees_only_their_own_issued_invoices(invoices, shop):
    alices = await invoices.issued(shop, shop.alice)
    bobs = await invoices.issued(shop, shop.bob)
    draft = await invoices.create(shop.admin, shop.alice)

    assert [i["id"] for i in await listed(invoices, shop.alice)] == [alices["id"]]
    assert [i["id"] for i in await listed(invoices, shop.bob)] == [bobs["id"]]
    for path in ("", "/pdf"):
        assert (
            await invoices.client.get(f"{invoices.API}/{alices['id']}{path}", headers=shop.alice.headers)
        ).status_code == 200
        other = await invoices.client.get(f"{invoices.API}/{bobs['id']}{path}", headers=shop.alice.headers)
        assert other.status_code == 404, path
        assert other.json()["code"] == "invoice_not_found"
        hidden = await invoices.client.get(f"{invoices.API}/{draft['id']}{path}", headers=shop.alice.headers)
        assert hidden.status_code == 404  # drafts are the business's work in progress
    assert [i["id"] for i in await listed(invoices, shop.alice, f"?customer_id={shop.bob.id}")] == []

    staff = {i["id"] for i in await listed(invoices, shop.staff)}
    assert staff == {alices["id"], bobs["id"], draft["id"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "", {"customer_id": "{alice}"}),
        ("patch", "/{id}", {"notes": "x"}),
        ("delete", "/{id}", None),
        ("post", "/{id}/issue", {}),
        ("post", "/{id}/void", {}),
        ("post", "/{id}/payments", {"amount": "1"}),
        ("post", "/{id}/document", {}),
        ("get", "/export.csv", None),
    ],
)
async def test_customers_and_staff_cannot_write(invoices, shop, method, path, body):
    invoice = await invoices.create(shop.admin, shop.alice)
    url = invoices.API + path.format(id=invoice["id"])
    payload = {k: v.format(alice=shop.alice.id) if isinstance(v, str) else v for k, v in (body or {}).items()}
    for user in (shop.alice, shop.staff):
        kwargs = {"json": payload} if body is not None else {}
        response = await getattr(invoices.client, method)(url, headers=user.headers, **kwargs)
        assert response.status_code == 403, (user.role, response.text)
    anonymous = await getattr(invoices.client, method)(url, headers=shop.tenant)
    assert anonymous.status_code == 401


async def test_another_workspace_sees_nothing(invoices, shop, make_shop):
    mine = await invoices.issued(shop)
    other = await make_shop()
    for user in (other.admin, other.alice):
        assert (await invoices.client.get(f"{invoices.API}/{mine['id']}", headers=user.headers)).status_code == 404
        assert await listed(invoices, user) == []
    cross = await invoices.client.post(
        invoices.API, json={"customer_id": str(shop.alice.id)}, headers=other.admin.headers
    )
    assert cross.status_code == 422
    assert cross.json()["errors"][0]["field"] == "customer_id"
    paid = await invoices.post(other.admin, f"/{mine['id']}/payments", {"amount": "1"})
    assert paid.status_code == 404


async def test_a_workspace_without_the_plugin_gets_404(invoices, invoices_db, tenant_factory, user_factory):
    org = await tenant_factory(database=invoices_db, plugins=["services", "appointments", "documents"])
    admin = await user_factory(org, database=invoices_db, role="admin")
    response = await invoices.client.get(invoices.API, headers=admin.headers)
    assert response.status_code == 404


async def test_filters_search_and_date_range(invoices, shop):
    await invoices.sql(shop, "UPDATE users SET company_name = 'Acme GmbH' WHERE id = :id", id=shop.bob.id)
    march = await invoices.create(shop.admin, shop.alice)
    march = (await invoices.post(shop.admin, f"/{march['id']}/issue", {"issue_date": "2026-03-15"})).json()
    april = await invoices.create(shop.admin, shop.bob)
    april = (await invoices.post(shop.admin, f"/{april['id']}/issue", {"issue_date": "2026-04-02"})).json()
    await invoices.post(shop.admin, f"/{april['id']}/payments", {})
    draft = await invoices.create(shop.admin, shop.bob)

    def ids(items):
        return [i["id"] for i in items]

    admin = shop.admin
    assert ids(await listed(invoices, admin)) == [draft["id"], april["id"], march["id"]]  # newest first
    assert ids(await listed(invoices, admin, "?status=Paid")) == [april["id"]]
    assert ids(await listed(invoices, admin, "?status=Draft")) == [draft["id"]]
    assert ids(await listed(invoices, admin, "?search=acme")) == [draft["id"], april["id"]]
    assert ids(await listed(invoices, admin, f"?search={march['number'].lower()}")) == [march["id"]]
    assert ids(await listed(invoices, admin, f"?search={shop.alice.email.upper()}")) == [march["id"]]
    assert ids(await listed(invoices, admin, "?search=100%25")) == []  # LIKE wildcards are literal
    assert ids(await listed(invoices, admin, "?date_from=2026-04-01")) == [april["id"]]
    assert ids(await listed(invoices, admin, "?date_from=2026-03-01&date_to=2026-03-31")) == [march["id"]]
    assert ids(await listed(invoices, admin, f"?customer_id={shop.alice.id}")) == [march["id"]]
    page = await invoices.client.get(f"{invoices.API}?limit=2&page=2", headers=admin.headers)
    assert {k: page.json()[k] for k in ("page", "limit", "total", "pages")} == {
        "page": 2,
        "limit": 2,
        "total": 3,
        "pages": 2,
    }
    row = (await listed(invoices, admin, "?status=Paid"))[0]
    assert row["customer"]["company_name"] == "Acme GmbH"
    assert (row["total"], row["balance"], row["pdf_url"]) == ("118.99", "0.00", f"{invoices.API}/{april['id']}/pdf")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=Unpaid", "status"),
        ("?date_from=yesterday", "date_from"),
        ("?date_from=2026-05-01&date_to=2026-04-01", "date_to"),
        ("?limit=1000", "limit"),
        ("?customer_id=42", "customer_id"),
    ],
)
async def test_bad_filters_are_422_naming_the_parameter(invoices, shop, query, field):
    response = await invoices.client.get(f"{invoices.API}{query}", headers=shop.admin.headers)
    assert response.status_code == 422, response.text
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.json()
