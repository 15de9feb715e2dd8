"""The seed's sign-in and code routes spend the same per-account and per-IP budgets as the
kernel's ``/api/v1/auth`` routes (the kernel's rules, answered in the seed's shape)."""

from __future__ import annotations


async def test_seed_login_shares_the_account_budget_with_the_api(ready):
    limits = {"login_account": "2/600", "login_ip": "100/60"}
    async with ready({"rate_limits": limits}) as (h, shop):
        email = shop.bob.email
        seed = await h.client.post(
            "/user/login", json={"email": email.upper(), "password": "wrong-one"}, headers=shop.tenant
        )
        api = await h.client.post(
            "/api/v1/auth/login", json={"email": email, "password": "wrong-one"}, headers=shop.tenant
        )
        right = {"email": email, "password": shop.bob.password}
        limited_seed = await h.client.post("/user/login", json=right, headers=shop.tenant)
        limited_api = await h.client.post("/api/v1/auth/login", json=right, headers=shop.tenant)
    assert (seed.status_code, api.status_code) == (401, 401)
    assert limited_seed.status_code == 429
    assert limited_seed.json()["code"] == "rate_limited"
    assert limited_seed.headers["retry-after"]
    assert limited_api.status_code == 429


async def test_seed_code_routes_are_limited_per_ip(ready):
    limits = {"verify_ip": "2/60", "resend_ip": "1/60"}
    async with ready({"rate_limits": limits}) as (h, shop):
        code = {"email": shop.alice.email, "otp": "000000"}
        checks = [await h.client.post("/user/verify-login-otp", json=code, headers=shop.tenant) for _ in range(2)]
        reset = await h.client.post(
            "/user/verify-forgotten-password-otp", json=code | {"newPassword": "brand-new-pass"}, headers=shop.tenant
        )
        forgot = await h.client.post("/user/forgotten-password", json={"email": "a@example.com"}, headers=shop.tenant)
        resend = await h.client.post("/user/resend-login-otp", json={"email": "b@example.com"}, headers=shop.tenant)
    assert 429 not in [c.status_code for c in checks]
    assert reset.status_code == 429, "a reset code check spends the same verify budget"
    assert forgot.status_code == 201
    assert resend.status_code == 429, "a reset mail and a code resend share the resend budget"
