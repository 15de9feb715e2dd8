"""``/blog``, ``/comment``, ``/service`` and ``/admin-general`` (seed rows 40-45, 59-67)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

BLOG = {
    "title": "Hello SAP",
    "excerpt": "A first post",
    "content": "Everything about SAP.",
    "categories": ["Tutorial"],
    "tags": ["REACT", "CSS"],
}


async def create_blog(h, shop, kit, **fields):
    data = {"data": json.dumps(BLOG | fields)}
    return await h.client.post(
        "/blog", data=data, files={"file": ("b.png", kit.PNG, "image/png")}, headers=shop.seed(shop.admin)
    )


async def test_blog_crud_comments_and_refusals(ready, kit):
    async with ready() as (h, shop):
        admin = shop.seed(shop.admin)
        created = await create_blog(h, shop, kit)
        assert created.status_code == 201, created.text
        post = created.json()["data"]
        assert post["status"] == "Publish"
        assert post["slug"] == "hello-sap"
        assert post["image"]
        assert post["admin"] == {"id": str(shop.admin.id), "name": post["admin"]["name"]}
        assert "password" not in json.dumps(created.json())
        assert "email" not in post["admin"]

        no_file = await h.client.post("/blog", data={"data": json.dumps(BLOG)}, headers=admin)
        assert no_file.status_code == 400
        assert no_file.json()["message"] == "File is required"
        by_customer = await create_blog(h, shop.__class__(shop.org, shop.alice, shop.alice, shop.bob), kit)
        assert by_customer.status_code == 403

        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        scheduled = await create_blog(h, shop, kit, title="Coming soon", status="schedule", publishDate=later)
        assert scheduled.status_code == 201, scheduled.text
        assert scheduled.json()["data"]["status"] == "Schedule"
        missing_date = await create_blog(h, shop, kit, title="No date", status="Schedule")
        assert missing_date.status_code == 400
        assert missing_date.json()["errors"][0]["field"] == "publishDate"

        public = await h.client.get("/blog", headers=shop.tenant)
        assert public.status_code == 200
        assert [p["slug"] for p in public.json()["data"]["data"]] == ["hello-sap"]  # scheduled posts stay hidden
        searched = await h.client.get("/blog?searchTerm=first", headers=shop.tenant)
        assert searched.json()["data"]["meta"]["totalItems"] == 1
        mine = await h.client.get("/blog/myself-blogs", headers=admin)
        assert mine.json()["data"]["meta"]["totalItems"] == 2
        assert (await h.client.get("/blog/myself-blogs", headers=shop.seed(shop.alice))).status_code == 403
        assert (await h.client.get("/blog?status=Nonsense", headers=shop.tenant)).status_code == 400

        comment = await h.client.post(
            "/comment", json={"blogId": post["id"], "content": "Nice!"}, headers=shop.seed(shop.alice)
        )
        assert comment.status_code == 201, comment.text
        assert comment.json()["data"]["userId"] == str(shop.alice.id)
        forged = await h.client.post(
            "/comment",
            json={"blogId": post["id"], "content": "x", "userId": str(shop.bob.id)},
            headers=shop.seed(shop.alice),
        )
        assert forged.status_code == 400
        assert forged.json()["errors"][0]["field"] == "userId"
        assert (
            await h.client.post("/comment", json={"blogId": post["id"], "content": "x"}, headers=shop.tenant)
        ).status_code == 401
        nowhere = await h.client.post(
            "/comment", json={"blogId": str(uuid.uuid4()), "content": "x"}, headers=shop.seed(shop.alice)
        )
        assert nowhere.status_code == 404

        detail = await h.client.get("/blog/hello-sap", headers=shop.tenant)
        assert detail.status_code == 200
        assert [c["content"] for c in detail.json()["data"]["comments"]] == ["Nice!"]
        assert (await h.client.get("/blog/coming-soon", headers=shop.tenant)).status_code == 404

        updated = await h.client.patch(
            f"/blog/update-blog/{post['id']}", data={"data": json.dumps({"title": "Hello again"})}, headers=admin
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["data"]["title"] == "Hello again"
        assert updated.json()["data"]["slug"] == "hello-sap"
        escalate = await h.client.patch(
            f"/blog/update-blog/{post['id']}", json={"adminId": str(shop.alice.id)}, headers=admin
        )
        assert escalate.status_code == 400
        assert (await h.client.patch(f"/blog/update-blog/{post['id']}", headers=admin)).status_code == 400

        anonymous = await h.client.delete("/blog/hello-sap", headers=shop.tenant)
        assert anonymous.status_code == 401  # the seed let anyone delete (§9.5)
        assert (await h.client.delete("/blog/hello-sap", headers=shop.seed(shop.alice))).status_code == 403
        deleted = await h.client.delete("/blog/hello-sap", headers=admin)
        assert deleted.status_code == 200
        assert deleted.json()["message"] == "Blog Deleted Successfully"
        assert (await h.client.get("/blog/hello-sap", headers=shop.tenant)).status_code == 404


async def create_service(h, shop, kit, **fields):
    data = {
        "name": "SAP Consulting",
        "description": "Expert help",
        "category": "Consulting",
        "status": "Active",
    } | fields
    return await h.client.post(
        "/service",
        data={"data": json.dumps(data)},
        files={"file": ("s.png", kit.PNG, "image/png")},
        headers=shop.seed(shop.admin),
    )


async def test_service_crud(ready, kit):
    async with ready() as (h, shop):
        admin = shop.seed(shop.admin)
        created = await create_service(h, shop, kit, price="150.00", durationMinutes=45)
        assert created.status_code == 201, created.text
        svc = created.json()["data"]
        assert svc["category"] == "Consulting"
        assert svc["status"] == "Active"
        assert svc["slug"] == "sap-consulting"
        assert svc["price"] == "150.00"
        assert svc["durationMinutes"] == 45
        assert svc["image"]
        hidden = await create_service(h, shop, kit, name="Training Day", category="Training", status="Inactive")
        assert hidden.status_code == 201, hidden.text
        assert (await create_service(h, shop, kit, name="X", category="Astrology")).status_code == 400
        no_file = await h.client.post(
            "/service", json={"name": "Y", "description": "y", "category": "Consulting"}, headers=admin
        )
        assert no_file.status_code == 400
        assert no_file.json()["message"] == "File is required"
        customer = await h.client.post("/service", json={"name": "Y"}, headers=shop.seed(shop.alice))
        assert customer.status_code == 403

        public = await h.client.get("/service", headers=shop.tenant)
        assert [s["name"] for s in public.json()["data"]["data"]] == ["SAP Consulting"]
        managed = await h.client.get("/service?status=Inactive", headers=admin)
        assert [s["name"] for s in managed.json()["data"]["data"]] == ["Training Day"]
        assert (await h.client.get("/service?category=Consulting&searchTerm=expert", headers=shop.tenant)).json()[
            "data"
        ]["meta"]["totalItems"] == 1
        one = await h.client.get("/service/sap-consulting", headers=shop.tenant)
        assert one.status_code == 200
        assert one.json()["data"]["id"] == svc["id"]
        assert (await h.client.get("/service/training-day", headers=shop.tenant)).status_code == 404
        assert (await h.client.get("/service/nothing-here", headers=shop.tenant)).status_code == 404

        updated = await h.client.patch(
            f"/service/update-service/{svc['id']}",
            data={"data": json.dumps({"description": "Even better", "category": "Training"})},
            headers=admin,
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["data"]["description"] == "Even better"
        assert updated.json()["data"]["category"] == "Training"
        assert (
            await h.client.patch(f"/service/update-service/{uuid.uuid4()}", json={"name": "Z"}, headers=admin)
        ).status_code == 404

        assert (await h.client.delete("/service/sap-consulting", headers=shop.seed(shop.alice))).status_code == 403
        deleted = await h.client.delete("/service/sap-consulting", headers=admin)
        assert deleted.status_code == 200, deleted.text
        assert (await h.client.delete("/service/sap-consulting", headers=admin)).status_code == 404


async def test_admin_general_raw_settings(ready, kit):
    async with ready() as (h, shop):
        admin = shop.seed(shop.admin)
        read = await h.client.get("/admin-general", headers=shop.tenant)
        assert read.status_code == 200
        body = read.json()
        assert "success" not in body  # raw, as the seed
        assert body["timezone"] == "UTC"
        assert body["currency"] == "EUR"
        assert body["isBlogModuleEnabled"] is True
        assert body["isServiceModuleEnabled"] is True

        updated = await h.client.patch(
            "/admin-general/update",
            data={"platformName": "Hein Consulting", "slogan": "SAP done right", "timezone": "Europe/Vienna"},
            files={"file": ("logo.png", kit.PNG, "image/png")},
            headers=admin,
        )
        assert updated.status_code == 200, updated.text
        body = updated.json()
        assert body["platformName"] == "Hein Consulting"
        assert body["timezone"] == "Europe/Vienna"
        assert body["logo"]
        bad_zone = await h.client.patch("/admin-general/update", json={"timezone": "Mars/Olympus"}, headers=admin)
        assert bad_zone.status_code == 400
        assert bad_zone.json()["success"] is False
        unknown = await h.client.patch("/admin-general/update", json={"theme": "dark"}, headers=admin)
        assert unknown.status_code == 400
        assert (
            await h.client.patch("/admin-general/update", json={"slogan": "x"}, headers=shop.seed(shop.alice))
        ).status_code == 403

        # compat itself needs the blog: turning it off is refused with the reason
        refused = await h.client.patch("/admin-general/toggle", json={"isBlogModuleEnabled": "false"}, headers=admin)
        assert refused.status_code == 400, refused.text
        assert "compat" in refused.json()["message"]
        same = await h.client.patch("/admin-general/toggle", json={"isServiceModuleEnabled": "true"}, headers=admin)
        assert same.status_code == 200
        assert same.json()["isServiceModuleEnabled"] is True
