"""Notifications, activities, admin notifications, the dashboard (seed rows 36-39, 56-58), and the
raw WebSocket ``/ws/notifications`` with a token from the compat login."""

from __future__ import annotations

import json
import uuid

import aiohttp


async def notify(h, shop, *user_ids, title="Hello", broadcast=False):
    body = {"title": title, "message": f"{title} there", "userIds": [str(u) for u in user_ids], "broadcast": broadcast}
    return await h.client.post("/admin/notifications", json=body, headers=shop.seed(shop.admin))


async def test_admin_notification_listed_filtered_and_marked_read(ready, kit):
    async with ready() as (h, shop):
        sent = await notify(h, shop, shop.alice.id)
        assert sent.status_code == 201, sent.text
        assert sent.json()["data"]["recipients"] == 1
        await kit.deliver(h)
        alice = shop.seed(shop.alice)
        listed = await h.client.get("/notifications", headers=alice)
        assert listed.status_code == 200, listed.text
        rows = listed.json()["data"]["data"]
        assert len(rows) == 1
        note = rows[0]
        assert note["event"] == "ADMIN_MANUAL"
        assert note["title"] == "Hello"
        assert note["isCustomerRead"] is False
        assert note["userId"] == str(shop.alice.id)
        assert listed.json()["data"]["meta"]["totalItems"] == 1
        unread = await h.client.get("/notifications?isRead=false", headers=alice)
        assert unread.json()["data"]["meta"]["totalItems"] == 1  # the seed treated false as true
        assert (await h.client.get("/notifications?isRead=true", headers=alice)).json()["data"]["meta"][
            "totalItems"
        ] == 0
        assert (await h.client.get("/notifications?event=ADMIN_MANUAL", headers=alice)).json()["data"]["meta"][
            "totalItems"
        ] == 1
        assert (await h.client.get("/notifications?event=INVOICE_PAID", headers=alice)).json()["data"]["meta"][
            "totalItems"
        ] == 0
        bad = await h.client.get("/notifications?isRead=maybe", headers=alice)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["field"] == "isRead"

        other = await h.client.patch(f"/notifications/{note['id']}/read", headers=shop.seed(shop.bob))
        assert other.status_code == 404
        assert other.json()["success"] is False
        read = await h.client.patch(f"/notifications/{note['id']}/read", headers=alice)
        assert read.status_code == 200, read.text
        assert read.json()["data"]["isCustomerRead"] is True
        nothing = await h.client.patch("/notifications/read-all", headers=alice)
        assert nothing.status_code == 200
        assert nothing.json()["message"] == "No unread notifications found"
        assert "data" not in nothing.json()

        await notify(h, shop, shop.alice.id, title="Again")
        await kit.deliver(h)
        everything = await h.client.patch("/notifications/read-all", headers=alice)
        assert everything.json()["data"] == {"updated": 1}


async def test_admin_notification_refusals(ready):
    async with ready() as (h, shop):
        customer = await h.client.post(
            "/admin/notifications",
            json={"title": "x", "message": "y", "broadcast": True},
            headers=shop.seed(shop.alice),
        )
        assert customer.status_code == 403
        no_targets = await h.client.post(
            "/admin/notifications", json={"title": "x", "message": "y"}, headers=shop.seed(shop.admin)
        )
        assert no_targets.status_code == 400
        assert no_targets.json()["success"] is False
        string_flag = await h.client.post(
            "/admin/notifications",
            json={"title": "x", "message": "y", "broadcast": "false"},
            headers=shop.seed(shop.admin),
        )
        assert string_flag.status_code == 400
        assert string_flag.json()["errors"][0]["field"] == "broadcast"
        stranger = await notify(h, shop, uuid.uuid4())
        assert stranger.status_code in (400, 404)
        assert stranger.json()["success"] is False


async def test_activities_and_dashboard(ready, kit):
    async with ready() as (h, shop):
        await notify(h, shop, shop.alice.id)
        await kit.deliver(h)
        alice = shop.seed(shop.alice)
        feed = await h.client.get("/activities", headers=alice)
        assert feed.status_code == 200, feed.text
        rows = feed.json()["data"]["data"]
        assert rows
        assert rows[0]["event"] == "ADMIN_MANUAL"
        assert {"type", "description", "entityId"} <= set(rows[0])
        assert (await h.client.get("/activities", headers=shop.seed(shop.bob))).json()["data"]["data"] == []
        for path in ("/dashboard", "/dashboard/stats"):
            board = await h.client.get(path, headers=alice)
            assert board.status_code == 200, board.text
            data = board.json()["data"]
            assert data["stats"]["unreadNotifications"] == 1
            assert "users" not in data["stats"]
            assert data["recentNotifications"][0]["event"] == "ADMIN_MANUAL"
            assert data["recentActivities"][0]["userId"] == str(shop.alice.id)
        staff = (await h.client.get("/dashboard/stats", headers=shop.seed(shop.admin))).json()["data"]["stats"]
        assert staff["users"] == 3
        assert (await h.client.get("/dashboard", headers=shop.tenant)).json()["statusCode"] == 401


async def test_websocket_receives_notification_with_the_compat_login_token(
    make_shop, compat_db, marcus_live_server, mailbox
):
    shop = await make_shop(login_otp=True)
    box = mailbox.on(compat_db)
    async with marcus_live_server(compat_db) as server, aiohttp.ClientSession() as http:
        tenant = {"X-Tenant": shop.org.slug}
        login = {"email": shop.alice.email, "password": shop.alice.password}
        async with http.post(server.url + "/user/login", json=login, headers=tenant) as step1:
            assert step1.status == 201, await step1.text()
        code = await box.last_code(shop.alice.email)
        async with http.post(
            server.url + "/user/verify-login-otp", json={"email": shop.alice.email, "otp": code}, headers=tenant
        ) as step2:
            token = (await step2.json())["data"]["access_token"]
        ws_url = server.url.replace("http", "ws") + "/ws/notifications"
        async with http.ws_connect(f"{ws_url}?token={token}", headers=tenant) as ws:
            hello = json.loads((await ws.receive(timeout=5)).data)
            assert hello == {"event": "connected", "data": {"userId": str(shop.alice.id), "role": "CUSTOMER"}}
            body = {"title": "Live", "message": "Live there", "userIds": [str(shop.alice.id)]}
            async with http.post(server.url + "/admin/notifications", json=body, headers=shop.seed(shop.admin)) as sent:
                assert sent.status == 201, await sent.text()
            frame = json.loads((await ws.receive(timeout=10)).data)
    assert frame["event"] == "notification:new"
    data = frame["data"]
    assert data["title"] == "Live"
    assert data["userId"] == str(shop.alice.id)
    assert {
        "id",
        "userId",
        "event",
        "title",
        "message",
        "isAdminRead",
        "isCustomerRead",
        "metadata",
        "createdAt",
    } <= set(data)
