"""Per-workspace categories instead of the seed's fixed enum."""

from __future__ import annotations


async def test_new_workspaces_start_with_the_seed_categories(make_shop, app):
    first, second = await make_shop(), await make_shop()
    async with app() as h:
        for shop in (first, second):
            listed = (await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()
            assert [(c["name"], c["slug"]) for c in listed["items"]] == [
                ("Consulting", "consulting"),
                ("Training", "training"),
            ]
        ids = {
            c["id"]
            for shop in (first, second)
            for c in (await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()["items"]
        }
        assert len(ids) == 4  # each workspace its own rows


async def test_category_crud_with_conflicts(shop, app, create_service):
    async with app() as h:
        headers = shop.admin.headers
        created = await h.client.post(
            "/api/v1/services/categories", json={"name": "Coaching", "position": 5}, headers=headers
        )
        assert created.status_code == 201, created.text
        category = created.json()
        assert (category["slug"], category["position"]) == ("coaching", 5)
        duplicate = await h.client.post("/api/v1/services/categories", json={"name": "COACHING"}, headers=headers)
        assert duplicate.status_code == 409
        assert duplicate.json()["errors"][0]["field"] == "name"
        url = f"/api/v1/services/categories/{category['id']}"
        renamed = await h.client.patch(url, json={"name": "Life coaching"}, headers=headers)
        assert (renamed.json()["name"], renamed.json()["slug"]) == ("Life coaching", "coaching")
        taken = await h.client.patch(url, json={"slug": "training"}, headers=headers)
        assert taken.status_code == 409
        assert taken.json()["errors"][0]["field"] == "slug"
        assert (await h.client.patch(url, json={"name": ""}, headers=headers)).status_code == 422
        used = await create_service(h, shop, name="Coach me", category_id=category["id"])
        assert used["category"] == {"id": category["id"], "name": "Life coaching", "slug": "coaching"}
        refused = await h.client.delete(url, headers=headers)
        assert refused.status_code == 409
        assert refused.json()["code"] == "category_in_use"
        await h.client.patch(f"/api/v1/services/{used['id']}", json={"category_id": None}, headers=headers)
        assert (await h.client.delete(url, headers=headers)).status_code == 204
        assert (await h.client.patch(url, json={"name": "Back"}, headers=headers)).status_code == 404
        names = [
            c["name"] for c in (await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()["items"]
        ]
        assert names == ["Consulting", "Training"]
