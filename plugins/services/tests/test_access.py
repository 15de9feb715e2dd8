"""Who may do what: anonymous callers and customers never write, workspaces never see each
other's services, a disabled plugin is gone for that workspace only, and no response ever
carries a secret."""

from __future__ import annotations

import re

from sqlalchemy import text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _writes(service_id: str, category_id: str) -> list[tuple[str, str, dict]]:
    body = {"name": "X", "price": "1.00", "duration_minutes": 10}
    return [
        ("POST", "/api/v1/services", {"json": body}),
        ("PATCH", f"/api/v1/services/{service_id}", {"json": {"name": "Y"}}),
        ("POST", f"/api/v1/services/{service_id}/archive", {}),
        ("DELETE", f"/api/v1/services/{service_id}", {}),
        ("PUT", f"/api/v1/services/{service_id}/image", {"files": {"file": ("a.png", PNG, "image/png")}}),
        ("DELETE", f"/api/v1/services/{service_id}/image", {}),
        ("POST", "/api/v1/services/categories", {"json": {"name": "New"}}),
        ("PATCH", f"/api/v1/services/categories/{category_id}", {"json": {"name": "Renamed"}}),
        ("DELETE", f"/api/v1/services/categories/{category_id}", {}),
    ]


async def test_anonymous_callers_get_401_and_customers_403_on_every_write(shop, app, create_service):
    async with app() as h:
        created = await create_service(h, shop)
        category = (await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()["items"][0]
        for method, url, kwargs in _writes(created["id"], category["id"]):
            anonymous = await h.client.request(method, url, headers=shop.tenant, **kwargs)
            assert anonymous.status_code == 401, (method, url, anonymous.text)
            for user in (shop.customer, shop.staff):
                denied = await h.client.request(method, url, headers=user.headers, **kwargs)
                assert denied.status_code == 403, (method, url, user.role, denied.text)
                assert denied.json()["code"] == "permission_denied"
        still = await h.client.get("/api/v1/services/consulting", headers=shop.tenant)
        assert still.json()["name"] == "Consulting"
        assert len((await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()["items"]) == 2


async def test_a_workspace_cannot_touch_another_workspaces_services(make_shop, app, create_service):
    mine, other = await make_shop(), await make_shop()
    async with app() as h:
        created = await create_service(h, mine)
        url = f"/api/v1/services/{created['id']}"
        assert (await h.client.patch(url, json={"name": "Mine now"}, headers=other.admin.headers)).status_code == 404
        assert (await h.client.delete(url, headers=other.admin.headers)).status_code == 404
        assert (await h.client.get(f"{url}/image", headers=other.tenant)).status_code == 404
        assert (await h.client.get("/api/v1/services", headers=other.tenant)).json()["total"] == 0
        foreign_token = {**mine.admin.headers, "X-Tenant": other.org.slug}
        assert (await h.client.get("/api/v1/services", headers=foreign_token)).status_code == 401
        assert (await h.client.get(url.replace(created["id"], "consulting"), headers=mine.tenant)).status_code == 200


async def test_disabled_plugin_answers_404_for_that_workspace_only(make_shop, app, create_service):
    on, off = await make_shop(), await make_shop()
    async with app(tenant_cache_ttl=60.0) as h:  # the tenant cache is on: the toggle must clear it
        await create_service(h, on)
        await create_service(h, off)
        assert (await h.client.get("/api/v1/services", headers=off.tenant)).status_code == 200
        toggled = await h.client.patch(
            "/api/v1/settings", json={"plugins": {"services": False}}, headers=off.admin.headers
        )
        assert toggled.status_code == 200, toggled.text
        assert "services" not in toggled.json()["plugins"]
        for method, url in (
            ("GET", "/api/v1/services"),
            ("GET", "/api/v1/services/consulting"),
            ("POST", "/api/v1/services"),
        ):
            gone = await h.client.request(method, url, headers=off.admin.headers, json={})
            assert gone.status_code == 404, (method, url)
            assert gone.json()["code"] == "plugin_not_enabled"
        assert (await h.client.get("/api/v1/services/consulting", headers=on.tenant)).status_code == 200
        back = await h.client.patch("/api/v1/settings", json={"plugins": {"services": True}}, headers=off.admin.headers)
        assert "services" in back.json()["plugins"]
        assert (await h.client.get("/api/v1/services/consulting", headers=off.tenant)).status_code == 200


async def test_no_response_ever_contains_a_secret(shop, app, create_service, services_db, mailbox):
    """Exercise every route as every kind of caller and scan every body for hashes, codes and tokens."""
    bodies: list[str] = []
    async with app() as h:
        reset = await h.client.post(
            "/api/v1/auth/password/forgot", json={"email": shop.customer.email}, headers=shop.tenant
        )
        assert reset.status_code == 202
        created = await create_service(h, shop, description="A service")
        sid = created["id"]
        category = (await h.client.get("/api/v1/services/categories", headers=shop.tenant)).json()["items"][0]
        calls = [
            ("GET", "/api/v1/services", {}),
            ("GET", "/api/v1/services?status=inactive", {}),
            ("GET", "/api/v1/services/consulting", {}),
            ("GET", "/api/v1/services/categories", {}),
            ("GET", "/api/v1/settings", {}),
            ("PUT", f"/api/v1/services/{sid}/image", {"files": {"file": ("a.png", PNG, "image/png")}}),
            ("PATCH", f"/api/v1/services/{sid}", {"json": {"description": "Changed", "category_id": category["id"]}}),
            ("POST", "/api/v1/services", {"json": {"name": "Second", "price": "2", "duration_minutes": 5}}),
            ("POST", f"/api/v1/services/{sid}/archive", {}),
            ("GET", "/api/v1/activities", {}),
            ("GET", "/api/v1/settings/plugins", {}),
        ]
        for user_headers in (shop.tenant, shop.customer.headers, shop.admin.headers):
            for method, url, kwargs in calls:
                response = await h.client.request(method, url, headers=user_headers, **kwargs)
                assert response.status_code < 500, response.text
                bodies.append(response.text)
        bodies.append((await h.client.get("/openapi.json")).text)
    async with services_db.db.platform_engine.connect() as conn:
        secrets = [
            row[0]
            for row in await conn.execute(text("SELECT password_hash FROM users WHERE password_hash IS NOT NULL"))
        ]
        secrets += [row[0] for row in await conn.execute(text("SELECT token_hash FROM auth_refresh_tokens"))]
        secrets += [row[0] for row in await conn.execute(text("SELECT code_hash FROM auth_codes"))]
    secrets += [await mailbox.on(services_db).last_code(shop.customer.email)]
    secrets += [u.access_token for u in (shop.admin, shop.staff, shop.customer)]
    secrets += [u.refresh_token for u in (shop.admin, shop.staff, shop.customer)]
    assert len(secrets) >= 8
    everything = "\n".join(bodies)
    for secret in secrets:
        assert secret not in everything
    assert not re.search(r"\$argon2|password_hash|code_hash|token_hash", everything)
