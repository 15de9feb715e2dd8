"""``/user...`` (seed rows 2-22): registration, two-step login, passwords, profile, admin user
management, the support form; the seed's holes refused with clear errors."""

from __future__ import annotations

import json
import uuid

import pytest


@pytest.fixture
def box(mailbox, compat_db):
    return mailbox.on(compat_db)


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert "type" not in body
    assert "title" not in body
    if code:
        assert body["code"] == code
    return body


async def register(h, shop, email: str, **extra):
    data = {"firstName": "Carla", "lastName": "Ng", "email": email, "password": "s3cret-pass-word"} | extra
    return await h.client.post("/user", data={"data": json.dumps(data)}, headers=shop.tenant)


async def test_register_verify_and_two_step_login(ready, box):
    async with ready(login_otp=True) as (h, shop):
        response = await register(h, shop, "carla@example.com", companyName="Ng Ltd", phoneNumber="+43 1")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["success"] is True
        assert body["message"]
        user = body["data"]
        assert user["email"] == "carla@example.com"
        assert user["role"] == "CUSTOMER"
        assert user["companyName"] == "Ng Ltd"
        assert user["phoneNumber"] == "+43 1"
        assert user["isVerified"] is False
        assert "password" not in user
        assert "passwordHash" not in user

        resent = await h.client.post(
            "/user/resend-register-otp", json={"email": "carla@example.com"}, headers=shop.tenant
        )
        # a code went out a moment ago: the kernel's resend throttle answers, in the seed's shape
        assert int(error_of(resent, 429, "code_resend_throttled") and resent.headers["retry-after"]) >= 1
        unknown = await h.client.post(
            "/user/resend-register-otp", json={"email": "nobody@example.com"}, headers=shop.tenant
        )
        assert unknown.status_code == 201
        assert "data" not in unknown.json()
        code = await box.last_code("carla@example.com")
        wrong = await h.client.post(
            "/user/verify-register-otp",
            json={"email": "carla@example.com", "otp": "000000" if code != "000000" else "111111"},
            headers=shop.tenant,
        )
        assert wrong.status_code == 400, wrong.text
        verified = await h.client.post(
            "/user/verify-register-otp", json={"email": "carla@example.com", "otp": code}, headers=shop.tenant
        )
        assert verified.status_code == 201, verified.text
        assert verified.json()["data"]["isVerified"] is True

        step1 = await h.client.post(
            "/user/login", json={"email": "carla@example.com", "password": "s3cret-pass-word"}, headers=shop.tenant
        )
        assert step1.status_code == 201, step1.text
        assert "data" not in step1.json()
        again = await h.client.post("/user/resend-login-otp", json={"email": "carla@example.com"}, headers=shop.tenant)
        assert again.status_code in (201, 429), again.text
        code = await box.last_code("carla@example.com")
        step2 = await h.client.post(
            "/user/verify-login-otp", json={"email": "carla@example.com", "otp": code}, headers=shop.tenant
        )
        assert step2.status_code == 201, step2.text
        token = step2.json()["data"]["access_token"]
        assert step2.json()["data"]["refresh_token"]
        me = await h.client.get("/user/me", headers={"Authorization": token, **shop.tenant})
        assert me.status_code == 200, me.text
        assert me.json()["data"]["email"] == "carla@example.com"
        assert me.json()["data"]["loginTime"] is not None


async def test_registration_refuses_privileged_fields_files_and_bad_data(ready):
    async with ready() as (h, shop):
        escalate = await register(h, shop, "mallory@example.com", role="ADMIN", isVerified=True)
        body = error_of(escalate, 403, "privileged_fields")
        assert "role" in body["message"]
        assert "isVerified" in body["message"]
        broken = await h.client.post("/user", data={"data": "{not json"}, headers=shop.tenant)
        body = error_of(broken, 400, "invalid_data")
        assert body["errors"][0]["field"] == "data"
        unknown = await register(h, shop, "x@example.com", favouriteColour="blue")
        assert error_of(unknown, 400, "validation_error")["errors"][0]["field"] == "favouriteColour"
        upload = await h.client.post(
            "/user",
            data={
                "data": json.dumps(
                    {"firstName": "A", "lastName": "B", "email": "f@example.com", "password": "long-enough-1"}
                )
            },
            files={"file": ("me.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png")},
            headers=shop.tenant,
        )
        error_of(upload, 400, "upload_not_accepted")
        taken = await register(h, shop, shop.alice.email)
        error_of(taken, 409, "email_taken")


async def test_login_errors_and_temp_login_is_gone(ready):
    async with ready() as (h, shop):
        wrong = await h.client.post(
            "/user/login", json={"email": shop.alice.email, "password": "nope"}, headers=shop.tenant
        )
        error_of(wrong, 401, "invalid_credentials")
        gone = await h.client.post("/user/temp-login", json={"email": shop.admin.email}, headers=shop.tenant)
        body = error_of(gone, 410, "temp_login_removed")
        assert "/user/login" in body["message"]
        missing = await h.client.post("/user/login", json={"email": "not-an-email"}, headers=shop.tenant)
        body = error_of(missing, 400, "validation_error")
        assert {e["field"] for e in body["errors"]} == {"email", "password"}
        assert isinstance(body["message"], list)


async def test_change_forgotten_and_reset_password(ready, box):
    async with ready() as (h, shop):
        anonymous = await h.client.post(
            "/user/change-password",
            json={"email": shop.alice.email, "oldPassword": shop.alice.password, "newPassword": "another-long-one"},
            headers=shop.tenant,
        )
        error_of(anonymous, 401)
        someone_else = await h.client.post(
            "/user/change-password",
            json={"email": shop.bob.email, "oldPassword": "x", "newPassword": "another-long-one"},
            headers=shop.seed(shop.alice),
        )
        error_of(someone_else, 403, "not_your_account")
        changed = await h.client.post(
            "/user/change-password",
            json={"oldPassword": shop.alice.password, "newPassword": "another-long-one"},
            headers=shop.seed(shop.alice),
        )
        assert changed.status_code == 201, changed.text

        forgot = await h.client.post("/user/forgotten-password", json={"email": shop.bob.email}, headers=shop.tenant)
        unknown = await h.client.post(
            "/user/forgotten-password", json={"email": "nobody@example.com"}, headers=shop.tenant
        )
        assert forgot.status_code == unknown.status_code == 201
        assert forgot.json()["message"] == unknown.json()["message"]
        code = await box.last_code(shop.bob.email)
        reset = await h.client.post(
            "/user/verify-forgotten-password-otp",
            json={"email": shop.bob.email, "otp": code, "newPassword": "brand-new-secret"},
            headers=shop.tenant,
        )
        assert reset.status_code == 201, reset.text
        # the reset ended Bob's sessions: his old token no longer works
        error_of(await h.client.get("/user/me", headers=shop.seed(shop.bob)), 401)


async def test_profile_update_statics_and_refusals(ready, kit):
    async with ready() as (h, shop):
        headers = shop.seed(shop.alice)
        updated = await h.client.patch(
            "/user/update-profile",
            data={"data": json.dumps({"companyName": "Alice & Co", "city": "Graz"})},
            headers=headers,
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["data"]["companyName"] == "Alice & Co"
        picture = await h.client.patch(
            "/user/update-profile", files={"file": ("a.png", kit.PNG, "image/png")}, headers=headers
        )
        assert picture.status_code == 200, picture.text
        assert picture.json()["data"]["image"] == f"/api/v1/users/{shop.alice.id}/avatar"
        not_image = await h.client.patch(
            "/user/update-profile", files={"file": ("a.pdf", kit.PDF, "application/pdf")}, headers=headers
        )
        assert 400 <= not_image.status_code < 500
        assert not_image.json()["success"] is False
        escalate = await h.client.patch(
            "/user/update-profile", data={"data": json.dumps({"role": "ADMIN", "isBlocked": False})}, headers=headers
        )
        assert {e["field"] for e in error_of(escalate, 403, "privileged_fields")["errors"]} == {"role", "isBlocked"}
        empty = await h.client.patch("/user/update-profile", headers=headers)
        error_of(empty, 400, "empty_update")
        statics = await h.client.get("/user/dashboard-statics", headers=headers)
        assert statics.status_code == 200
        assert set(statics.json()["data"]) == {"lastPasswordChangeTime", "loginTime", "registrationTime"}


async def test_admin_lists_creates_blocks_and_changes_roles(ready):
    async with ready() as (h, shop):
        admin = shop.seed(shop.admin)
        error_of(await h.client.get("/user", headers=shop.seed(shop.alice)), 403)
        listed = await h.client.get("/user?page=1&limit=2", headers=admin)
        assert listed.status_code == 200, listed.text
        data = listed.json()["data"]
        assert data["meta"] == {
            "currentPage": 1,
            "perPage": 2,
            "totalItems": 3,
            "totalPages": 2,
            "pageItemCount": 2,
            "hasNextPage": True,
            "hasPrevPage": False,
        }
        assert all("passwordHash" not in u and "password" not in u for u in data["data"])
        fallback = await h.client.get("/user?page=0&limit=abc", headers=admin)
        assert fallback.json()["data"]["meta"]["perPage"] == 10

        created = await h.client.post(
            "/user/create-user-without-otp",
            json={
                "firstName": "Dan",
                "lastName": "Lee",
                "email": "dan@example.com",
                "role": "CUSTOMER",
                "password": "dans-password-1",
                "phoneNumber": "1",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        dan = created.json()["data"]
        assert dan["isVerified"] is True
        assert dan["role"] == "CUSTOMER"

        blocked = await h.client.patch(f"/user/block-user/{shop.bob.id}", headers=admin)
        assert blocked.status_code == 200
        assert blocked.json()["success"] is True
        error_of(await h.client.get("/user/me", headers=shop.seed(shop.bob)), 401)
        assert (await h.client.get("/user?isBlocked=true", headers=admin)).json()["data"]["meta"]["totalItems"] == 1
        assert (await h.client.patch(f"/user/unblock-user/{shop.bob.id}", headers=admin)).status_code == 200
        error_of(await h.client.patch(f"/user/block-user/{uuid.uuid4()}", headers=admin), 404)

        promoted = await h.client.patch(f"/user/change-role/{dan['id']}", json={"role": "ADMIN"}, headers=admin)
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["data"]["role"] == "ADMIN"
        bad_role = await h.client.patch(f"/user/change-role/{dan['id']}", json={"role": "EMPEROR"}, headers=admin)
        assert 400 <= bad_role.status_code < 500
        assert bad_role.json()["success"] is False

        deleted = await h.client.delete(f"/user/delete-user/{dan['id']}", headers=admin)
        assert deleted.status_code == 200
        error_of(await h.client.delete(f"/user/delete-user/{dan['id']}", headers=admin), 404)


async def test_delete_myself_ends_access(ready):
    async with ready() as (h, shop):
        headers = shop.seed(shop.bob)
        deleted = await h.client.delete("/user/delete-myself-account", headers=headers)
        assert deleted.status_code == 200
        assert deleted.json()["message"]
        error_of(await h.client.get("/user/me", headers=headers), 401)


async def test_support_form_mails_admins_escaped_and_refuses_uploads(ready, box):
    async with ready() as (h, shop):
        created = await h.client.post(
            "/api/v1/services",
            json={"name": "Audit", "price": "100.00", "duration_minutes": 60},
            headers=shop.admin.headers,
        )
        assert created.status_code == 201, created.text
        form = {
            "firstName": "Eve",
            "lastName": "<script>alert(1)</script>",
            "companyName": "E Corp",
            "email": "eve@example.com",
            "serviceId": created.json()["id"],
            "message": "Help <b>now</b>",
        }
        sent = await h.client.post("/user/support", data={"data": json.dumps(form)}, headers=shop.tenant)
        assert sent.status_code == 201, sent.text
        mail = await box.last(shop.admin.email)
        assert "<script>" not in mail.html
        assert "&lt;script&gt;" in mail.html
        with_file = await h.client.post(
            "/user/support",
            data={"data": json.dumps(form)},
            files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")},
            headers=shop.tenant,
        )
        error_of(with_file, 400, "upload_not_accepted")
        unknown_service = await h.client.post(
            "/user/support", json=form | {"serviceId": str(uuid.uuid4())}, headers=shop.tenant
        )
        error_of(unknown_service, 404)
        # one address may send five requests an hour (the refused upload was not counted)
        for _ in range(3):
            assert (await h.client.post("/user/support", json=form, headers=shop.tenant)).status_code == 201
        limited = await h.client.post("/user/support", json=form, headers=shop.tenant)
        assert error_of(limited, 429, "rate_limited")
        assert limited.headers["retry-after"]
