"""The whole seed flow, through the compat routes only, against a real server (uvicorn, the
background worker delivering notifications): register -> verify -> login in two steps -> admin
generates slots -> customer books -> double booking refused -> cancel -> rebook -> upload a
document -> admin issues an invoice -> invoice PDF -> notifications listed and marked read ->
WebSocket receives ``notification:new`` -> dashboard stats -> blog and services CRUD -> settings.

Only the workspace and its first admin are made by fixtures (the seed had no signup for
admins either); everything else is an HTTP call a seed client makes.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

SERVICE = "SAP_CONSULTING_SESSION"
PASSWORD = "carla-secret-123"


class SeedClient:
    """A seed front-end: bare-token ``Authorization`` header, the workspace in ``X-Tenant``."""

    def __init__(self, http: aiohttp.ClientSession, url: str, slug: str) -> None:
        self.http, self.url, self.slug = http, url, slug

    async def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        headers = {"X-Tenant": self.slug} | ({"Authorization": token} if token else {})
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.read()

    async def ok(self, method: str, path: str, token: str | None = None, status: int = 200, **kwargs: Any) -> Any:
        code, body = await self.call(method, path, token, **kwargs)
        assert code == status, (method, path, code, body)
        if isinstance(body, dict) and "success" in body:
            assert body["success"] is True
            assert body["message"]
            return body.get("data")
        return body


def multipart(data: dict[str, Any], *files: tuple[str, str, bytes, str]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("data", json.dumps(data))
    for field, name, content, content_type in files:
        form.add_field(field, content, filename=name, content_type=content_type)
    return form


async def wait_for_notifications(seed: SeedClient, token: str, count: int) -> list[dict[str, Any]]:
    """The worker delivers after commit: poll (bounded) until ``count`` notifications are listed."""
    for _ in range(100):
        data = await seed.ok("GET", "/notifications", token)
        if len(data["data"]) >= count:
            return list(data["data"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} notifications were delivered")


async def test_the_seed_flow(make_shop, compat_db, marcus_live_server, mailbox, kit):
    shop = await make_shop(login_otp=True)
    box = mailbox.on(compat_db)
    admin, bob = shop.admin.access_token, shop.bob.access_token
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    async with marcus_live_server(compat_db) as server, aiohttp.ClientSession() as http:
        seed = SeedClient(http, server.url, shop.org.slug)
        assert await seed.ok("GET", "/") == b"Appoinment Management Server Running..."

        # register -> verify -> login in two steps
        profile = {"firstName": "Carla", "lastName": "Ng", "email": "carla@example.com", "password": PASSWORD}
        user = await seed.ok("POST", "/user", status=201, data=multipart(profile | {"companyName": "Ng Ltd"}))
        assert user["isVerified"] is False
        otp = await box.last_code("carla@example.com")
        await seed.ok("POST", "/user/verify-register-otp", status=201, json={"email": "carla@example.com", "otp": otp})
        assert (
            await seed.ok("POST", "/user/login", status=201, json={"email": "carla@example.com", "password": PASSWORD})
            is None
        )
        otp = await box.last_code("carla@example.com")
        tokens = await seed.ok(
            "POST", "/user/verify-login-otp", status=201, json={"email": "carla@example.com", "otp": otp}
        )
        carla = tokens["access_token"]
        assert (await seed.ok("GET", "/user/me", carla))["companyName"] == "Ng Ltd"

        ws_url = server.url.replace("http", "ws") + f"/ws/notifications?token={carla}"
        async with http.ws_connect(ws_url, headers={"X-Tenant": shop.org.slug}) as ws:
            hello = json.loads((await ws.receive(timeout=5)).data)
            assert hello == {"event": "connected", "data": {"userId": user["id"], "role": "CUSTOMER"}}

            # the admin's catalogue and a day of slots
            service = {
                "name": "SAP Consulting Session",
                "description": "One hour with an expert",
                "category": "Consulting",
            }
            image = ("file", "s.png", kit.PNG, "image/png")
            created = await seed.ok(
                "POST", "/service", admin, 201, data=multipart(service | {"durationMinutes": 30}, image)
            )
            assert created["slug"] == "sap-consulting-session"
            window = {"serviceName": SERVICE, "date": day, "startTime": "09:00", "endTime": "11:00", "durationMin": 30}
            await seed.ok("POST", "/schedule/generate", admin, 201, json=window)
            slots = await seed.ok("GET", f"/schedule/slots?serviceName={SERVICE}&date={day}", carla)
            assert len(slots) == 4
            assert {s["status"] for s in slots} == {"Available"}

            # book, double booking refused, cancel, rebook
            booking = {"serviceName": SERVICE, "slotId": slots[0]["id"], "meetingType": "Virtual"}
            appointment = await seed.ok("POST", "/appointments", carla, 201, json=booking)
            assert appointment["status"] == "Upcoming"
            code, refused = await seed.call("POST", "/appointments", bob, json=booking)
            assert code == 409
            assert refused["success"] is False
            cancelled = await seed.ok("PATCH", f"/appointments/{appointment['id']}", carla, json={"action": "cancel"})
            assert cancelled["status"] == "Cancelled"
            rebooked = await seed.ok(
                "POST", "/appointments", bob, 201, json=booking | {"meetingType": "InPerson", "note": "At the office"}
            )
            assert rebooked["meetingType"] == "InPerson"

            # the live notification of Carla's booking
            frame = json.loads((await ws.receive(timeout=10)).data)
            assert frame["event"] == "notification:new"
            assert frame["data"]["userId"] == user["id"]
            assert frame["data"]["isCustomerRead"] is False

        # a document, an invoice and its PDF
        document = await seed.ok(
            "POST",
            "/documents",
            bob,
            201,
            data=multipart(
                {"type": "Appointment", "appointmentId": rebooked["id"]},
                ("files", "brief.pdf", kit.PDF, "application/pdf"),
            ),
        )
        assert document["status"] == "Open"
        invoice_body = {
            "appointmentId": rebooked["id"],
            "amount": 1200.5,
            "status": "Pending",
            "paymentType": "BankTransfer",
            "issuedBy": "Ada",
            "dueDate": "2099-01-31",
        }
        invoice = await seed.ok("POST", "/invoices", admin, 201, json=invoice_body)
        assert invoice["paymentType"] == "BankTransfer"
        pdf = await seed.ok("GET", f"/invoices/{invoice['id']}/pdf", bob)
        assert pdf.startswith(b"%PDF")

        # notifications listed and marked read
        notes = await wait_for_notifications(seed, carla, 2)
        assert {n["event"] for n in notes} == {"APPOINTMENT_CREATED", "APPOINTMENT_STATUS_CHANGED"}
        read = await seed.ok("PATCH", f"/notifications/{notes[0]['id']}/read", carla)
        assert read["isCustomerRead"] is True
        assert await seed.ok("PATCH", "/notifications/read-all", carla) == {"updated": 1}
        unread = await seed.ok("GET", "/notifications?isRead=false", carla)
        assert unread["meta"]["totalItems"] == 0
        assert (await seed.ok("GET", "/activities", carla))["meta"]["totalItems"] >= 2

        # dashboard
        stats = (await seed.ok("GET", "/dashboard/stats", admin))["stats"]
        assert stats["users"] == 4
        assert stats["unreadNotifications"] >= 1
        assert (await seed.ok("GET", "/dashboard", carla))["stats"]["unreadNotifications"] == 0

        # blog CRUD with a comment
        post = {"title": "Why SAP", "excerpt": "Short", "content": "Long", "categories": ["News"], "tags": ["REACT"]}
        blog = await seed.ok("POST", "/blog", admin, 201, data=multipart(post, image))
        assert [b["slug"] for b in (await seed.ok("GET", "/blog"))["data"]] == ["why-sap"]
        await seed.ok("POST", "/comment", carla, 201, json={"blogId": blog["id"], "content": "Great read"})
        assert len((await seed.ok("GET", "/blog/why-sap"))["comments"]) == 1
        await seed.ok("PATCH", f"/blog/update-blog/{blog['id']}", admin, data=multipart({"excerpt": "Shorter"}))
        assert (await seed.ok("GET", "/blog/myself-blogs", admin))["data"][0]["excerpt"] == "Shorter"
        code, _ = await seed.call("DELETE", "/blog/why-sap")
        assert code == 401
        await seed.ok("DELETE", "/blog/why-sap", admin)

        # services CRUD (a booked service is archived, not deleted)
        training = {"name": "SAP Training", "description": "A day of training", "category": "Training"}
        await seed.ok("POST", "/service", admin, 201, data=multipart(training, image))
        names = [s["name"] for s in (await seed.ok("GET", "/service"))["data"]]
        assert names == ["SAP Consulting Session", "SAP Training"]
        updated = await seed.ok(
            "PATCH", f"/service/update-service/{created['id']}", admin, json={"description": "Ninety minutes"}
        )
        assert updated["description"] == "Ninety minutes"
        assert (await seed.ok("GET", "/service/sap-consulting-session"))["description"] == "Ninety minutes"
        code, in_use = await seed.call("DELETE", "/service/sap-consulting-session", admin)
        assert code == 409
        assert in_use["success"] is False
        await seed.ok("DELETE", "/service/sap-training", admin)

        # settings (raw bodies, as the seed)
        settings = await seed.ok(
            "PATCH", "/admin-general/update", admin, json={"platformName": "Hein Consulting", "currency": "USD"}
        )
        assert settings["platformName"] == "Hein Consulting"
        assert settings["currency"] == "USD"
        assert (await seed.ok("GET", "/admin-general"))["platformName"] == "Hein Consulting"
        toggled = await seed.ok("PATCH", "/admin-general/toggle", admin, json={"isServiceModuleEnabled": True})
        assert toggled["isServiceModuleEnabled"] is True
