"""Admin user management under /api/v1/users: list with filters, search and pages, create,
block (effective at once), unblock, change role, soft delete; never a hash in a response."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
async def h(marcus_database, marcus_app_factory):
    async with marcus_app_factory(marcus_database) as harness:
        yield harness


@pytest.fixture
async def org(tenant_factory):
    return await tenant_factory()


@pytest.fixture
async def admin(org, user_factory):
    return await user_factory(org, role="admin", first_name="Ada", last_name="Admin")


def assert_no_secrets(body: object) -> None:
    dumped = str(body)
    for word in ("password_hash", "code_hash", "token_hash", "argon2"):
        assert word not in dumped


async def test_list_filters_search_and_pages(h, org, admin, user_factory):
    customers = [await user_factory(org, first_name=f"Cust{i}", last_name="Omer") for i in range(3)]
    staff = await user_factory(org, role="staff", first_name="Sam", last_name="Staffer")
    page = await h.client.get("/api/v1/users", params={"limit": 2}, headers=admin.headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) == {"items", "page", "limit", "total", "pages"}
    assert (body["total"], body["limit"], body["pages"], len(body["items"])) == (5, 2, 3, 2)
    assert_no_secrets(body)
    last = (await h.client.get("/api/v1/users", params={"limit": 2, "page": 3}, headers=admin.headers)).json()
    assert len(last["items"]) == 1

    by_role = (await h.client.get("/api/v1/users", params={"role": "staff"}, headers=admin.headers)).json()
    assert [u["id"] for u in by_role["items"]] == [str(staff.id)]
    assert by_role["items"][0]["roles"] == ["staff"]
    search = (await h.client.get("/api/v1/users", params={"q": "cust1"}, headers=admin.headers)).json()
    assert [u["id"] for u in search["items"]] == [str(customers[1].id)]
    by_email = (await h.client.get("/api/v1/users", params={"q": staff.email.upper()}, headers=admin.headers)).json()
    assert by_email["total"] == 1
    wildcard = (await h.client.get("/api/v1/users", params={"q": "%"}, headers=admin.headers)).json()
    assert wildcard["total"] == 0
    verified = (await h.client.get("/api/v1/users", params={"verified": "false"}, headers=admin.headers)).json()
    assert verified["total"] == 0

    too_many = await h.client.get("/api/v1/users", params={"limit": 1000}, headers=admin.headers)
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "query.limit"
    bad_bool = await h.client.get("/api/v1/users", params={"blocked": "maybe"}, headers=admin.headers)
    assert bad_bool.status_code == 422


async def test_create_a_verified_user_with_a_role(h, org, admin):
    created = await h.client.post(
        "/api/v1/users",
        json={
            "email": "new@example.com",
            "password": "new-user-pass",
            "first_name": "New",
            "last_name": "Staff",
            "role": "staff",
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["is_verified"] is True
    assert created.json()["roles"] == ["staff"]
    assert_no_secrets(created.json())
    login = await h.client.post(
        "/api/v1/auth/login",
        json={"email": "new@example.com", "password": "new-user-pass"},
        headers={"X-Tenant": org.slug},
    )
    assert login.status_code == 200
    again = await h.client.post(
        "/api/v1/users",
        json={"email": "NEW@example.com", "password": "new-user-pass", "first_name": "N", "last_name": "S"},
        headers=admin.headers,
    )
    assert again.status_code == 409


async def test_block_takes_effect_at_once_and_unblock_restores(h, org, admin, user_factory):
    user = await user_factory(org)
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 200
    blocked = await h.client.post(f"/api/v1/users/{user.id}/block", headers=admin.headers)
    assert blocked.status_code == 200
    assert blocked.json()["is_blocked"] is True
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 401
    listed = (await h.client.get("/api/v1/users", params={"blocked": "true"}, headers=admin.headers)).json()
    assert [u["id"] for u in listed["items"]] == [str(user.id)]
    assert (await h.client.post(f"/api/v1/users/{user.id}/unblock", headers=admin.headers)).json()[
        "is_blocked"
    ] is False
    login = await h.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}, headers={"X-Tenant": org.slug}
    )
    assert login.status_code == 200
    self_block = await h.client.post(f"/api/v1/users/{admin.id}/block", headers=admin.headers)
    assert self_block.status_code == 409


async def test_change_role_and_soft_delete(h, org, admin, user_factory):
    user = await user_factory(org)
    promoted = await h.client.put(f"/api/v1/users/{user.id}/role", json={"role": "staff"}, headers=admin.headers)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["roles"] == ["staff"]
    assert (await h.client.get(f"/api/v1/users/{user.id}", headers=admin.headers)).json()["roles"] == ["staff"]
    bogus = await h.client.put(f"/api/v1/users/{user.id}/role", json={"role": "emperor"}, headers=admin.headers)
    assert 400 <= bogus.status_code < 500
    assert (await h.client.delete(f"/api/v1/users/{user.id}", headers=admin.headers)).status_code == 204
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 401
    assert (await h.client.get(f"/api/v1/users/{user.id}", headers=admin.headers)).status_code == 404
    deleted = (await h.client.get("/api/v1/users", params={"deleted": "true"}, headers=admin.headers)).json()
    assert [u["id"] for u in deleted["items"]] == [str(user.id)]
    assert deleted["items"][0]["is_deleted"] is True


async def test_customers_cannot_manage_users_and_other_workspaces_are_invisible(
    h, org, admin, user_factory, tenant_factory
):
    customer = await user_factory(org)
    for method, path in (
        ("GET", "/api/v1/users"),
        ("POST", f"/api/v1/users/{admin.id}/block"),
        ("DELETE", f"/api/v1/users/{admin.id}"),
    ):
        response = await h.client.request(method, path, headers=customer.headers)
        assert response.status_code == 403, path
    elsewhere = await user_factory(await tenant_factory())
    for path in (f"/api/v1/users/{elsewhere.id}", f"/api/v1/users/{uuid.uuid4()}"):
        assert (await h.client.get(path, headers=admin.headers)).status_code == 404
    assert (await h.client.post(f"/api/v1/users/{elsewhere.id}/block", headers=admin.headers)).status_code == 404
    listed = (await h.client.get("/api/v1/users", headers=admin.headers)).json()
    assert str(elsewhere.id) not in {u["id"] for u in listed["items"]}
