"""Rate limits on login, code checks, resends and signups: 429 problems with Retry-After, per
IP and per account, in process or shared through Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from marcus.ratelimit import RateLimited, RateLimiter, Rule


@pytest.fixture
async def org(tenant_factory):
    return await tenant_factory()


async def test_login_is_limited_per_account_with_retry_after(marcus_database, marcus_app_factory, org, user_factory):
    user = await user_factory(org)
    limits = {"login_account": "3/600", "login_ip": "100/60"}
    async with marcus_app_factory(marcus_database, rate_limits=limits) as h:
        headers = {"X-Tenant": org.slug}
        for _ in range(3):
            response = await h.client.post(
                "/api/v1/auth/login", json={"email": user.email, "password": "wrong-one"}, headers=headers
            )
            assert response.status_code == 401
        limited = await h.client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": user.password}, headers=headers
        )
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
        assert 0 < int(limited.headers["Retry-After"]) <= 600
        other = await h.client.post(
            "/api/v1/auth/login", json={"email": "other@example.com", "password": "x"}, headers=headers
        )
        assert other.status_code == 401, "another account still has its budget"


async def test_login_signup_and_codes_are_limited_per_ip(marcus_database, marcus_app_factory, org):
    limits = {"login_ip": "2/60", "signup_ip": "1/3600", "verify_ip": "2/60", "resend_ip": "1/60"}
    async with marcus_app_factory(marcus_database, rate_limits=limits) as h:
        headers = {"X-Tenant": org.slug}
        for i in range(2):
            assert (
                await h.client.post(
                    "/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "x"}, headers=headers
                )
            ).status_code == 401
        assert (
            await h.client.post(
                "/api/v1/auth/login", json={"email": "u9@example.com", "password": "x"}, headers=headers
            )
        ).status_code == 429
        body = {"email": "new@example.com", "password": "long-enough", "first_name": "N", "last_name": "U"}
        assert (await h.client.post("/api/v1/auth/register", json=body, headers=headers)).status_code == 201
        again = await h.client.post(
            "/api/v1/auth/register", json={**body, "email": "new2@example.com"}, headers=headers
        )
        assert again.status_code == 429
        signup = {"name": "X", "slug": f"x-{uuid.uuid4().hex[:8]}", "owner": {**body, "email": "o@example.com"}}
        assert (await h.client.post("/api/v1/organizations", json=signup)).status_code == 429
        for _ in range(2):
            assert (
                await h.client.post(
                    "/api/v1/auth/verify", json={"email": "new@example.com", "code": "000000"}, headers=headers
                )
            ).status_code in (409, 422)
        assert (
            await h.client.post(
                "/api/v1/auth/verify", json={"email": "new@example.com", "code": "000000"}, headers=headers
            )
        ).status_code == 429
        assert (
            await h.client.post("/api/v1/auth/resend", json={"email": "a@example.com"}, headers=headers)
        ).status_code == 202
        assert (
            await h.client.post("/api/v1/auth/resend", json={"email": "b@example.com"}, headers=headers)
        ).status_code == 429


async def test_memory_windows_reset():
    from marcus.config import Settings

    limiter = RateLimiter(Settings(rate_limits={"login_ip": "2/2"}))
    key = uuid.uuid4().hex
    await limiter.check("login_ip", key)
    await limiter.check("login_ip", key)
    with pytest.raises(RateLimited) as caught:
        await limiter.check("login_ip", key)
    assert 1 <= caught.value.retry_after <= 2
    import asyncio

    await asyncio.sleep(caught.value.retry_after + 0.05)
    await limiter.check("login_ip", key)


def test_rules_are_validated():
    assert Rule.parse("x", "5/60") == Rule(5, 60)
    for bad in ("5", "a/b", "0/60", "5/0"):
        with pytest.raises(ValueError, match="rate limit 'x'"):
            Rule.parse("x", bad)


@pytest.mark.redis
async def test_redis_backend_is_shared_by_replicas():
    url = os.environ.get("MARCUS_TEST_REDIS_URL")
    if not url:
        pytest.skip("set MARCUS_TEST_REDIS_URL to run the Redis rate-limit test")
    from marcus.config import Settings

    settings = Settings(redis_url=url, rate_limits={"login_account": "3/60"})
    one, two = RateLimiter(settings), RateLimiter(settings)
    key = f"test-{uuid.uuid4().hex}"
    try:
        await one.check("login_account", key)
        await two.check("login_account", key)
        await one.check("login_account", key)
        with pytest.raises(RateLimited) as caught:
            await two.check("login_account", key)
        assert 0 < caught.value.retry_after <= 60
    finally:
        await one.close()
        await two.close()
