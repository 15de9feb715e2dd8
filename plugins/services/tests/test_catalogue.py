"""The catalogue through the API: slugs per workspace, renames, filters, money, validation."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from marcus_services.models import Service
from sqlalchemy import select


async def test_two_workspaces_can_both_have_services_consulting(make_shop, app, create_service):
    first, second = await make_shop(), await make_shop()
    async with app() as h:
        mine = await create_service(h, first, name="Consulting")
        theirs = await create_service(h, second, name="Consulting")
        assert mine["slug"] == theirs["slug"] == "consulting"
        for shop, created in ((first, mine), (second, theirs)):
            found = await h.client.get("/api/v1/services/consulting", headers=shop.tenant)
            assert found.status_code == 200, found.text
            assert found.json()["id"] == created["id"]


async def test_slugs_get_free_suffixes_and_explicit_ones_must_be_free(shop, app, create_service):
    async with app() as h:
        slugs = [(await create_service(h, shop, name="Consulting"))["slug"] for _ in range(3)]
        assert slugs == ["consulting", "consulting-2", "consulting-3"]
        assert (await create_service(h, shop, name="Café Crème & Co!"))["slug"] == "cafe-creme-co"
        assert (await create_service(h, shop, name="Categories"))["slug"] == "categories-2"  # /categories is a route
        assert (await create_service(h, shop, name="!!!"))["slug"] == "service"
        taken = await h.client.post(
            "/api/v1/services",
            json={"name": "Other", "slug": "consulting", "price": "1", "duration_minutes": 5},
            headers=shop.admin.headers,
        )
        assert taken.status_code == 409
        assert taken.json()["errors"][0]["field"] == "slug"
        bad = await h.client.post(
            "/api/v1/services",
            json={"name": "Other", "slug": "Not A Slug", "price": "1", "duration_minutes": 5},
            headers=shop.admin.headers,
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "body.slug"


async def test_rename_keeps_the_slug_unless_regeneration_is_asked(shop, app, create_service):
    async with app() as h:
        created = await create_service(h, shop, name="Consulting")
        url = f"/api/v1/services/{created['id']}"
        renamed = await h.client.patch(url, json={"name": "Strategy workshop"}, headers=shop.admin.headers)
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Strategy workshop"
        assert renamed.json()["slug"] == "consulting"
        assert (await h.client.get("/api/v1/services/consulting", headers=shop.tenant)).status_code == 200
        again = await h.client.patch(url, json={"regenerate_slug": True}, headers=shop.admin.headers)
        assert again.json()["slug"] == "strategy-workshop"
        assert (await h.client.get("/api/v1/services/consulting", headers=shop.tenant)).status_code == 404
        assert (await h.client.get("/api/v1/services/strategy-workshop", headers=shop.tenant)).status_code == 200
        chosen = await h.client.patch(url, json={"slug": "workshop"}, headers=shop.admin.headers)
        assert chosen.json()["slug"] == "workshop"
        both = await h.client.patch(url, json={"slug": "x", "regenerate_slug": True}, headers=shop.admin.headers)
        assert both.status_code == 422


async def test_price_is_exact_with_the_workspace_currency(make_shop, app, create_service, services_db):
    shop = await make_shop()
    async with app() as h:
        cents = await create_service(h, shop, name="Cents", price="0.30")
        number = await create_service(h, shop, name="Number", price=10.5)
        big = await create_service(h, shop, name="Big", price="9999999999.99")
        assert (cents["price"], cents["currency"]) == ("0.30", "EUR")
        assert number["price"] == "10.50"
        assert big["price"] == "9999999999.99"
        for price in ("0.001", "-1", "abc", "10000000000.00", None):
            response = await h.client.post(
                "/api/v1/services",
                json={"name": "Bad", "price": price, "duration_minutes": 30},
                headers=shop.admin.headers,
            )
            assert response.status_code == 422, price
            assert response.json()["errors"][0]["field"] == "body.price"
        changed = await h.client.patch("/api/v1/settings", json={"currency": "chf"}, headers=shop.admin.headers)
        assert changed.status_code == 200, changed.text
        listed = (await h.client.get("/api/v1/services?q=cents", headers=shop.tenant)).json()
        assert listed["items"][0]["price"] == "0.30"
        assert listed["items"][0]["currency"] == "CHF"
    async with services_db.db.tenant_session(shop.org.id) as session:
        stored = await session.scalar(select(Service.price).where(Service.slug == "cents"))
    assert stored == Decimal("0.30")


async def test_search_category_status_filters_and_pages(shop, app, create_service):
    async with app() as h:
        categories = (await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()["items"]
        training = next(c for c in categories if c["slug"] == "training")
        await create_service(h, shop, name="Tax advice", description="Yearly TAXES, done right")
        await create_service(h, shop, name="Python course", category_id=training["id"])
        await create_service(h, shop, name="Excel course", category_id=training["id"], status="inactive")
        await create_service(h, shop, name="100% fun_course")
        anonymous = (await h.client.get("/api/v1/services", headers=shop.tenant)).json()
        assert [s["name"] for s in anonymous["items"]] == ["100% fun_course", "Python course", "Tax advice"]
        assert anonymous["total"] == 3
        taxes = (await h.client.get("/api/v1/services?q=taxes", headers=shop.tenant)).json()
        assert [s["name"] for s in taxes["items"]] == ["Tax advice"]
        literal = (await h.client.get("/api/v1/services", params={"q": "% fun_"}, headers=shop.tenant)).json()
        assert [s["name"] for s in literal["items"]] == ["100% fun_course"]
        courses = (await h.client.get("/api/v1/services?category=training", headers=shop.tenant)).json()
        assert [s["name"] for s in courses["items"]] == ["Python course"]
        assert courses["items"][0]["category"]["slug"] == "training"
        admin = (await h.client.get("/api/v1/services?category=training", headers=shop.admin.headers)).json()
        assert [s["name"] for s in admin["items"]] == ["Excel course", "Python course"]
        inactive = await h.client.get("/api/v1/services?status=inactive", headers=shop.customer.headers)
        assert inactive.json()["items"] == []  # customers see active services only
        page = (await h.client.get("/api/v1/services?limit=2&page=2", headers=shop.tenant)).json()
        assert (page["total"], page["pages"], page["page"], len(page["items"])) == (3, 2, 2, 1)
        bad = await h.client.get("/api/v1/services?status=deleted", headers=shop.tenant)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "query.status"
        too_many = await h.client.get("/api/v1/services?limit=1000", headers=shop.tenant)
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["field"] == "query.limit"


async def test_public_detail_shows_active_services_only(shop, app, create_service):
    async with app() as h:
        created = await create_service(h, shop, name="Hidden", status="inactive")
        assert (await h.client.get("/api/v1/services/hidden", headers=shop.tenant)).status_code == 404
        assert (await h.client.get("/api/v1/services/hidden", headers=shop.customer.headers)).status_code == 404
        seen = await h.client.get("/api/v1/services/hidden", headers=shop.admin.headers)
        assert seen.status_code == 200
        assert seen.json()["status"] == "inactive"
        activated = await h.client.patch(
            f"/api/v1/services/{created['id']}", json={"status": "active"}, headers=shop.admin.headers
        )
        assert activated.json()["status"] == "active"
        assert (await h.client.get("/api/v1/services/hidden", headers=shop.tenant)).status_code == 200


async def test_update_validation_names_the_field(shop, app, create_service):
    async with app() as h:
        created = await create_service(h, shop)
        url = f"/api/v1/services/{created['id']}"
        cases = {
            "body.name": {"name": None},
            "body.duration_minutes": {"duration_minutes": 0},
            "body.status": {"status": "deleted"},
            "body.colour": {"colour": "red"},
            "body.price": {"price": None},
        }
        for field, body in cases.items():
            response = await h.client.patch(url, json=body, headers=shop.admin.headers)
            assert response.status_code == 422, (field, response.text)
            assert response.json()["errors"][0]["field"] == field
        unknown = await h.client.patch(url, json={"category_id": created["id"]}, headers=shop.admin.headers)
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "category_id"
        cleared = await h.client.patch(url, json={"category_id": None}, headers=shop.admin.headers)
        assert cleared.status_code == 200
        assert cleared.json()["category"] is None


async def test_concurrent_creations_get_distinct_slugs(shop, app):
    body = {"name": "Same name", "price": "5.00", "duration_minutes": 15}
    async with app() as h:
        responses = await asyncio.gather(
            *(h.client.post("/api/v1/services", json=body, headers=shop.admin.headers) for _ in range(6))
        )
    assert [r.status_code for r in responses] == [201] * 6
    assert sorted(r.json()["slug"] for r in responses) == sorted(
        ["same-name", *(f"same-name-{n}" for n in range(2, 7))]
    )
