"""Registration, verification, login (with and without the emailed second step), password
reset and change, logout: the flows a person goes through, against real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

PASSWORD = "s3cret-passw0rd"


def profile(email: str, **extra: object) -> dict[str, object]:
    return {"email": email, "password": PASSWORD, "first_name": "Ann", "last_name": "Lee", **extra}


@pytest.fixture
async def h(marcus_database, marcus_app_factory):
    async with marcus_app_factory(marcus_database) as harness:
        yield harness


@pytest.fixture
async def org(tenant_factory):
    return await tenant_factory()


@pytest.fixture
async def otp_org(marcus_database, tenant_factory):
    from marcus.testing import OrganizationFactory

    org = OrganizationFactory.build()
    org.settings = {**org.settings, "login_otp": True}
    return await tenant_factory(organization=org)


async def register_verified(h, mailbox, org, email: str, password: str = PASSWORD) -> None:
    headers = {"X-Tenant": org.slug}
    created = await h.client.post("/api/v1/auth/register", json=profile(email, password=password), headers=headers)
    assert created.status_code == 201, created.text
    code = await mailbox.last_code(email, org_id=org.id)
    verified = await h.client.post("/api/v1/auth/verify", json={"email": email, "code": code}, headers=headers)
    assert verified.status_code == 200, verified.text


async def login(h, org, email: str, password: str = PASSWORD) -> dict:
    response = await h.client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers={"X-Tenant": org.slug}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(tokens: dict, org) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}", "X-Tenant": org.slug}


async def test_register_verify_login_and_read_profile(h, org, mailbox):
    headers = {"X-Tenant": org.slug}
    created = await h.client.post("/api/v1/auth/register", json=profile("Ann@Example.com"), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "ann@example.com"
    assert body["is_verified"] is False
    assert body["roles"] == ["customer"]
    assert not {"password", "password_hash", "code", "code_hash"} & set(body)

    mail = await mailbox.last("ann@example.com", org_id=org.id)
    assert mail.template == "verification_code"
    assert org.name in mail.subject

    early = await h.client.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}, headers=headers
    )
    assert early.status_code == 403
    assert early.json()["code"] == "email_not_verified"

    verified = await h.client.post(
        "/api/v1/auth/verify", json={"email": "ann@example.com", "code": mail.code}, headers=headers
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["is_verified"] is True

    tokens = await login(h, org, "ANN@example.com")
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == h.kernel.settings.access_token_ttl
    me = await h.client.get("/api/v1/me", headers=bearer(tokens, org))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "ann@example.com"
    assert me.json()["roles"] == ["customer"]


async def test_login_second_step_with_emailed_code(h, otp_org, mailbox):
    await register_verified(h, mailbox, otp_org, "bob@example.com")
    headers = {"X-Tenant": otp_org.slug}
    step1 = await h.client.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}, headers=headers
    )
    assert step1.status_code == 202, step1.text
    assert step1.json()["otp_required"] is True
    assert "access_token" not in step1.json()
    mail = await mailbox.last("bob@example.com", org_id=otp_org.id)
    assert mail.template == "login_code"

    wrong = await h.client.post(
        "/api/v1/auth/login/verify",
        json={"email": "bob@example.com", "code": "000000" if mail.code != "000000" else "111111"},
        headers=headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "code"
    step2 = await h.client.post(
        "/api/v1/auth/login/verify", json={"email": "bob@example.com", "code": mail.code}, headers=headers
    )
    assert step2.status_code == 200, step2.text
    assert (await h.client.get("/api/v1/me", headers=bearer(step2.json(), otp_org))).status_code == 200
    again = await h.client.post(
        "/api/v1/auth/login/verify", json={"email": "bob@example.com", "code": mail.code}, headers=headers
    )
    assert again.status_code == 422, "a code works once"


async def test_same_email_in_two_workspaces_is_two_accounts(h, tenant_factory, mailbox):
    a, b = await tenant_factory(), await tenant_factory()
    await register_verified(h, mailbox, a, "same@example.com", "password-for-a")
    await register_verified(h, mailbox, b, "same@example.com", "password-for-b")
    tokens_a = await login(h, a, "same@example.com", "password-for-a")
    tokens_b = await login(h, b, "same@example.com", "password-for-b")
    refused = await h.client.post(
        "/api/v1/auth/login",
        json={"email": "same@example.com", "password": "password-for-b"},
        headers={"X-Tenant": a.slug},
    )
    assert refused.status_code == 401
    me_a = (await h.client.get("/api/v1/me", headers=bearer(tokens_a, a))).json()
    me_b = (await h.client.get("/api/v1/me", headers=bearer(tokens_b, b))).json()
    assert me_a["id"] != me_b["id"]
    await h.client.patch("/api/v1/me", json={"first_name": "Only-A"}, headers=bearer(tokens_a, a))
    assert (await h.client.get("/api/v1/me", headers=bearer(tokens_b, b))).json()["first_name"] == "Ann"


async def test_duplicate_registration_is_a_conflict_case_insensitively(h, org, mailbox):
    headers = {"X-Tenant": org.slug}
    assert (
        await h.client.post("/api/v1/auth/register", json=profile("dup@example.com"), headers=headers)
    ).status_code == 201
    again = await h.client.post("/api/v1/auth/register", json=profile("DUP@example.com"), headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"
    assert again.json()["errors"][0]["field"] == "email"


async def test_registration_refuses_privileged_fields_and_bad_input(h, org, marcus_database):
    headers = {"X-Tenant": org.slug}
    sneaky = profile("sneaky@example.com", role="admin", is_verified=True)
    response = await h.client.post("/api/v1/auth/register", json=sneaky, headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.role", "body.is_verified"}
    async with marcus_database.db.platform_session() as session:
        count = await session.scalar(text("SELECT count(*) FROM users WHERE email = 'sneaky@example.com'"))
    assert count == 0
    short = await h.client.post(
        "/api/v1/auth/register", json=profile("x@example.com", password="short"), headers=headers
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "body.password"
    bad_email = await h.client.post("/api/v1/auth/register", json=profile("not-an-email"), headers=headers)
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"][0]["field"] == "body.email"
    not_json = await h.client.post(
        "/api/v1/auth/register", content=b"{oops", headers={**headers, "content-type": "application/json"}
    )
    assert not_json.status_code == 422


async def test_sixth_code_attempt_is_refused_even_when_right(h, org, mailbox):
    headers = {"X-Tenant": org.slug}
    await h.client.post("/api/v1/auth/register", json=profile("guess@example.com"), headers=headers)
    code = await mailbox.last_code("guess@example.com", org_id=org.id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = await h.client.post(
            "/api/v1/auth/verify", json={"email": "guess@example.com", "code": wrong}, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "code_invalid"
    sixth = await h.client.post(
        "/api/v1/auth/verify", json={"email": "guess@example.com", "code": code}, headers=headers
    )
    assert sixth.status_code == 422
    assert sixth.json()["code"] == "code_invalid"
    login_attempt = await h.client.post(
        "/api/v1/auth/login", json={"email": "guess@example.com", "password": PASSWORD}, headers=headers
    )
    assert login_attempt.json()["code"] == "email_not_verified"


async def test_codes_are_stored_hashed_and_expire(h, org, mailbox, marcus_database):
    headers = {"X-Tenant": org.slug}
    await h.client.post("/api/v1/auth/register", json=profile("late@example.com"), headers=headers)
    code = await mailbox.last_code("late@example.com", org_id=org.id)
    async with marcus_database.db.platform_session() as session, session.begin():
        stored = (
            await session.execute(
                text("SELECT code_hash, expires_at - sent_at AS ttl FROM auth_codes WHERE organization_id = :o"),
                {"o": org.id},
            )
        ).one()
        assert code not in stored.code_hash
        assert len(stored.code_hash) == 64
        assert stored.ttl == timedelta(minutes=10)
        await session.execute(
            text("UPDATE auth_codes SET expires_at = now() - interval '1 second' WHERE organization_id = :o"),
            {"o": org.id},
        )
    expired = await h.client.post(
        "/api/v1/auth/verify", json={"email": "late@example.com", "code": code}, headers=headers
    )
    assert expired.status_code == 422
    assert expired.json()["code"] == "code_expired"


async def test_resend_is_throttled_then_replaces_the_code(h, org, mailbox, marcus_database):
    headers = {"X-Tenant": org.slug}
    await h.client.post("/api/v1/auth/register", json=profile("again@example.com"), headers=headers)
    first = await mailbox.last_code("again@example.com", org_id=org.id)
    throttled = await h.client.post("/api/v1/auth/resend", json={"email": "again@example.com"}, headers=headers)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "code_resend_throttled"
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    async with marcus_database.db.platform_session() as session, session.begin():
        await session.execute(
            text("UPDATE auth_codes SET sent_at = now() - interval '61 seconds' WHERE organization_id = :o"),
            {"o": org.id},
        )
    resent = await h.client.post("/api/v1/auth/resend", json={"email": "again@example.com"}, headers=headers)
    assert resent.status_code == 202
    assert len(await mailbox.messages("again@example.com", org_id=org.id)) == 2
    second = await mailbox.last_code("again@example.com", org_id=org.id)
    if second != first:
        old = await h.client.post(
            "/api/v1/auth/verify", json={"email": "again@example.com", "code": first}, headers=headers
        )
        assert old.status_code == 422
    ok = await h.client.post(
        "/api/v1/auth/verify", json={"email": "again@example.com", "code": second}, headers=headers
    )
    assert ok.status_code == 200
    unknown = await h.client.post("/api/v1/auth/resend", json={"email": "nobody@example.com"}, headers=headers)
    assert unknown.status_code == 202
    assert await mailbox.messages("nobody@example.com") == []


async def test_wrong_password_and_unknown_account_answer_alike(h, org, user_factory):
    user = await user_factory(org)
    for email, password in ((user.email, "wrong-password"), ("ghost@example.com", PASSWORD)):
        response = await h.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}, headers={"X-Tenant": org.slug}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"


async def test_password_reset_with_code_ends_every_session(h, org, user_factory, mailbox):
    user = await user_factory(org)
    headers = {"X-Tenant": org.slug}
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 200
    forgot = await h.client.post("/api/v1/auth/password/forgot", json={"email": user.email}, headers=headers)
    assert forgot.status_code == 202
    ghost = await h.client.post("/api/v1/auth/password/forgot", json={"email": "ghost@example.com"}, headers=headers)
    assert ghost.status_code == 202
    assert ghost.json() == forgot.json()
    mail = await mailbox.last(user.email, org_id=org.id)
    assert mail.template == "password_reset"
    reset = await h.client.post(
        "/api/v1/auth/password/reset",
        json={"email": user.email, "code": mail.code, "new_password": "brand-new-pass"},
        headers=headers,
    )
    assert reset.status_code == 204, reset.text
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 401
    refresh = await h.client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}, headers=headers)
    assert refresh.status_code == 401
    await login(h, org, user.email, "brand-new-pass")
    old = await h.client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}, headers=headers
    )
    assert old.status_code == 401


async def test_password_change_keeps_this_session_and_ends_the_others(h, org, user_factory):
    user = await user_factory(org)
    other = await login(h, org, user.email, user.password)
    wrong = await h.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "nope-nope", "new_password": "another-pass"},
        headers=user.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    changed = await h.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": user.password, "new_password": "another-pass"},
        headers=user.headers,
    )
    assert changed.status_code == 204, changed.text
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 200
    assert (await h.client.get("/api/v1/me", headers=bearer(other, org))).status_code == 401
    unauthenticated = await h.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "another-pass", "new_password": "third-pass"},
        headers={"X-Tenant": org.slug},
    )
    assert unauthenticated.status_code == 401


async def test_logout_and_logout_everywhere(h, org, user_factory):
    user = await user_factory(org)
    second = await login(h, org, user.email, user.password)
    third = await login(h, org, user.email, user.password)
    assert (await h.client.post("/api/v1/auth/logout", headers=bearer(second, org))).status_code == 204
    assert (await h.client.get("/api/v1/me", headers=bearer(second, org))).status_code == 401
    assert (await h.client.get("/api/v1/me", headers=bearer(third, org))).status_code == 200
    refresh = await h.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}, headers={"X-Tenant": org.slug}
    )
    assert refresh.status_code == 401
    assert (await h.client.post("/api/v1/auth/logout-all", headers=user.headers)).status_code == 204
    for tokens in (third, {"access_token": user.access_token}):
        assert (await h.client.get("/api/v1/me", headers=bearer(tokens, org))).status_code == 401


async def test_blocked_or_deleted_users_cannot_sign_in(h, org, user_factory, marcus_database):
    blocked, deleted = await user_factory(org), await user_factory(org)
    async with marcus_database.db.tenant_transaction(org.id) as session:
        await session.execute(text("UPDATE users SET is_blocked = true WHERE id = :u"), {"u": blocked.id})
        await session.execute(
            text("UPDATE users SET deleted_at = :t WHERE id = :u"), {"u": deleted.id, "t": datetime.now(UTC)}
        )
    headers = {"X-Tenant": org.slug}
    response = await h.client.post(
        "/api/v1/auth/login", json={"email": blocked.email, "password": blocked.password}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "account_blocked"
    response = await h.client.post(
        "/api/v1/auth/login", json={"email": deleted.email, "password": deleted.password}, headers=headers
    )
    assert response.status_code == 401
    for user in (blocked, deleted):
        assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 401
        refresh = await h.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}, headers=headers
        )
        assert refresh.status_code == 401


async def test_a_password_hashed_with_an_older_cost_is_rehashed_at_login(
    marcus_database, marcus_app_factory, org, user_factory
):
    user = await user_factory(org)
    async with marcus_database.db.platform_session() as session:
        before = await session.scalar(text("SELECT password_hash FROM users WHERE id = :u"), {"u": user.id})
    assert before.startswith("$argon2id$")
    async with marcus_app_factory(marcus_database, argon2_memory_cost=2048) as stronger:
        await login(stronger, org, user.email, user.password)
    async with marcus_database.db.platform_session() as session:
        after = await session.scalar(text("SELECT password_hash FROM users WHERE id = :u"), {"u": user.id})
    assert "m=2048" in after
    assert after != before
