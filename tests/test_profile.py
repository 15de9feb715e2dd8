"""Your own account under /api/v1/me: read, update whitelisted fields, change email with a code,
avatar upload validated by content, soft delete."""

from __future__ import annotations

import pytest
from sqlalchemy import text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.fixture
async def h(marcus_database, marcus_app_factory):
    async with marcus_app_factory(marcus_database) as harness:
        yield harness


@pytest.fixture
async def org(tenant_factory):
    return await tenant_factory()


async def test_read_and_update_whitelisted_fields(h, org, user_factory):
    user = await user_factory(org)
    me = await h.client.get("/api/v1/me", headers=user.headers)
    assert me.status_code == 200
    assert not {"password_hash", "password", "image"} & set(me.json())
    changes = {
        "first_name": "Zoe",
        "company_name": "Acme",
        "phone": "+33 1 23 45 67 89",
        "city": "Lyon",
        "vat_id": "FR123",
    }
    updated = await h.client.patch("/api/v1/me", json=changes, headers=user.headers)
    assert updated.status_code == 200, updated.text
    assert {k: updated.json()[k] for k in changes} == changes
    assert (await h.client.get("/api/v1/me", headers=user.headers)).json()["city"] == "Lyon"


async def test_privileged_fields_in_a_profile_update_are_refused_and_grant_nothing(
    h, org, user_factory, marcus_database
):
    user = await user_factory(org)
    for field, value in (
        ("role", "admin"),
        ("is_verified", False),
        ("is_blocked", False),
        ("password_hash", "x"),
        ("id", "1"),
    ):
        response = await h.client.patch("/api/v1/me", json={"first_name": "Eve", field: value}, headers=user.headers)
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == f"body.{field}"
    me = (await h.client.get("/api/v1/me", headers=user.headers)).json()
    assert me["roles"] == ["customer"]
    assert me["first_name"] != "Eve", "a refused body changes nothing"
    assert (await h.client.get("/api/v1/users", headers=user.headers)).status_code == 403


async def test_email_change_waits_for_the_code_sent_to_the_new_address(h, org, user_factory, mailbox):
    user = await user_factory(org)
    other = await user_factory(org)
    taken = await h.client.patch("/api/v1/me", json={"email": other.email}, headers=user.headers)
    assert taken.status_code == 409
    pending = await h.client.patch("/api/v1/me", json={"email": "New.Address@example.com"}, headers=user.headers)
    assert pending.status_code == 200, pending.text
    assert pending.json()["email"] == user.email
    assert pending.json()["pending_email"] == "new.address@example.com"
    mail = await mailbox.last("new.address@example.com", org_id=org.id)
    assert mail.template == "email_change"
    wrong = f"{(int(mail.code) + 1) % 1_000_000:06d}"
    assert (
        await h.client.post("/api/v1/me/email/verify", json={"code": wrong}, headers=user.headers)
    ).status_code == 422
    confirmed = await h.client.post("/api/v1/me/email/verify", json={"code": mail.code}, headers=user.headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == "new.address@example.com"
    login = await h.client.post(
        "/api/v1/auth/login",
        json={"email": "new.address@example.com", "password": user.password},
        headers={"X-Tenant": org.slug},
    )
    assert login.status_code == 200


@pytest.mark.parametrize(("content", "media_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")])
async def test_avatar_upload_accepts_images_by_content(h, org, user_factory, content, media_type):
    user = await user_factory(org)
    uploaded = await h.client.put(
        "/api/v1/me/avatar", files={"file": ("whatever.bin", content, "application/octet-stream")}, headers=user.headers
    )
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["avatar_url"]
    assert url == f"/api/v1/users/{user.id}/avatar"
    image = await h.client.get(url, headers=user.headers)
    assert image.status_code == 200
    assert image.headers["content-type"] == media_type
    assert image.content == content
    stored = list((h.kernel.settings.data_dir / "storage" / "org" / str(org.id)).rglob("avatar.*"))
    assert stored


async def test_avatar_upload_refuses_other_types_and_big_files(h, org, user_factory):
    user = await user_factory(org)
    fake = await h.client.put(
        "/api/v1/me/avatar",
        files={"file": ("evil.png", b"<script>alert(1)</script>", "image/png")},
        headers=user.headers,
    )
    assert fake.status_code == 422
    assert fake.json()["errors"][0]["field"] == "file"
    big = PNG + b"\x00" * h.kernel.settings.avatar_max_bytes
    too_big = await h.client.put(
        "/api/v1/me/avatar", files={"file": ("big.png", big, "image/png")}, headers=user.headers
    )
    assert too_big.status_code == 422
    assert too_big.json()["code"] == "file_too_large"
    missing = await h.client.put("/api/v1/me/avatar", headers=user.headers)
    assert missing.status_code == 422
    none_yet = await h.client.get(f"/api/v1/users/{user.id}/avatar", headers=user.headers)
    assert none_yet.status_code == 404


async def test_delete_own_account_is_soft_and_signs_out(h, org, user_factory, marcus_database):
    user = await user_factory(org)
    assert (await h.client.delete("/api/v1/me", headers=user.headers)).status_code == 204
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 401
    login = await h.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}, headers={"X-Tenant": org.slug}
    )
    assert login.status_code == 401
    async with marcus_database.db.platform_session() as session:
        deleted_at = await session.scalar(text("SELECT deleted_at FROM users WHERE id = :u"), {"u": user.id})
    assert deleted_at is not None
