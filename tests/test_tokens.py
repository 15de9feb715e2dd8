"""Access and refresh tokens: signature, algorithm allow-list, expiry, tenant binding, rotation
with reuse detection, and claims that grant nothing."""

from __future__ import annotations

import base64
import json
import uuid
import warnings
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr

from marcus.auth.tokens import ISSUER, TENANT_AUDIENCE, decode_access_token, derive_key


@pytest.fixture
async def h(marcus_database, marcus_app_factory):
    async with marcus_app_factory(marcus_database) as harness:
        yield harness


@pytest.fixture
async def org(tenant_factory):
    return await tenant_factory()


def claims_of(h, token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign(h, claims: dict, *, key: bytes | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or derive_key(h.kernel.settings, "jwt.tenant"), algorithm=algorithm)


def with_token(token: str, slug: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Tenant": slug}


async def test_token_carries_the_documented_claims(h, org, user_factory):
    user = await user_factory(org, role="staff")
    claims = claims_of(h, user.access_token)
    assert claims["sub"] == str(user.id)
    assert claims["org"] == str(org.id)
    assert claims["roles"] == ["staff"]
    assert claims["aud"] == TENANT_AUDIENCE
    assert {"exp", "iat", "jti", "sid"} <= set(claims)
    assert claims["exp"] - claims["iat"] == h.kernel.settings.access_token_ttl
    assert jwt.get_unverified_header(user.access_token)["alg"] == "HS256"


async def test_token_of_one_workspace_is_refused_by_another(h, tenant_factory, user_factory, marcus_database):
    a, b = await tenant_factory(), await tenant_factory(domains=[f"{uuid.uuid4().hex[:8]}.example.org"])
    user = await user_factory(a)
    assert (await h.client.get("/api/v1/me", headers=user.headers)).status_code == 200
    by_header = await h.client.get("/api/v1/me", headers=with_token(user.access_token, b.slug))
    assert by_header.status_code == 401
    assert by_header.json()["code"] == "token_wrong_tenant"
    by_subdomain = await h.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {user.access_token}", "Host": f"{b.slug}.localhost"}
    )
    assert by_subdomain.status_code == 401
    async with marcus_database.db.platform_session() as session:
        from sqlalchemy import text

        domain = await session.scalar(
            text("SELECT domain FROM organization_domains WHERE organization_id = :o"), {"o": b.id}
        )
    by_domain = await h.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {user.access_token}", "Host": domain}
    )
    assert by_domain.status_code == 401
    refresh = await h.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}, headers={"X-Tenant": b.slug}
    )
    assert refresh.status_code == 401


async def test_forged_expired_and_unsigned_tokens_are_refused(h, org, user_factory):
    user = await user_factory(org)
    good = claims_of(h, user.access_token)
    now = datetime.now(UTC)
    forged = sign(h, good, key=b"x" * 32)
    expired = sign(h, {**good, "iat": now - timedelta(hours=1), "exp": now - timedelta(minutes=1)})
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(good).encode()).rstrip(b"=").decode()
    unsigned = f"{header}.{payload}."
    with warnings.catch_warnings():  # the right key with a disallowed algorithm
        warnings.simplefilter("ignore")
        other_alg = sign(h, good, algorithm="HS512")
    wrong_audience = sign(h, {**good, "aud": "marcus:platform"})
    cases = {
        "forged": forged,
        "expired": expired,
        "alg none": unsigned,
        "HS512": other_alg,
        "audience": wrong_audience,
        "garbage": "not.a.token",
    }
    for name, token in cases.items():
        response = await h.client.get("/api/v1/me", headers=with_token(token, org.slug))
        assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json"
    assert (await h.client.get("/api/v1/me", headers=with_token(expired, org.slug))).json()["code"] == "token_expired"
    assert (await h.client.get("/api/v1/me", headers={"X-Tenant": org.slug})).status_code == 401
    with pytest.raises(Exception, match="not valid"):
        decode_access_token(h.kernel.settings, unsigned)


async def test_a_role_claim_grants_nothing(h, org, user_factory):
    customer = await user_factory(org, role="customer")
    claims = claims_of(h, customer.access_token)
    boosted = sign(h, {**claims, "roles": ["owner", "admin"], "iss": ISSUER})
    headers = with_token(boosted, org.slug)
    assert (await h.client.get("/api/v1/me", headers=headers)).json()["roles"] == ["customer"]
    denied = await h.client.get("/api/v1/users", headers=headers)
    assert denied.status_code == 403


async def test_refresh_rotates_and_a_reused_token_ends_the_family(h, org, user_factory):
    user = await user_factory(org)
    headers = {"X-Tenant": org.slug}
    first = await h.client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}, headers=headers)
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != user.refresh_token
    assert (await h.client.get("/api/v1/me", headers=with_token(rotated["access_token"], org.slug))).status_code == 200

    reused = await h.client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token}, headers=headers)
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    family = await h.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}, headers=headers
    )
    assert family.status_code == 401
    for token in (rotated["access_token"], user.access_token):
        assert (await h.client.get("/api/v1/me", headers=with_token(token, org.slug))).status_code == 401
    unknown = await h.client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43}, headers=headers)
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "invalid_refresh_token"


async def test_refresh_tokens_are_stored_hashed(h, org, user_factory, marcus_database):
    from sqlalchemy import text

    user = await user_factory(org)
    async with marcus_database.db.platform_session() as session:
        hashes = (
            await session.scalars(
                text("SELECT token_hash FROM auth_refresh_tokens WHERE organization_id = :o"), {"o": org.id}
            )
        ).all()
    assert hashes
    assert user.refresh_token not in hashes
    assert all(len(value) == 64 for value in hashes)


async def test_a_verified_token_is_remembered_but_still_expires(h, org, user_factory, monkeypatch):
    import marcus.auth.tokens as tokens

    user = await user_factory(org)
    first = decode_access_token(h.kernel.settings, user.access_token)
    assert decode_access_token(h.kernel.settings, user.access_token) is first  # not verified twice
    later = first.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(tokens, "now", lambda: later)
    with pytest.raises(Exception, match="expired"):
        decode_access_token(h.kernel.settings, user.access_token)
    monkeypatch.undo()
    other = h.kernel.settings.model_copy(update={"secret_key": SecretStr("x" * 48)})
    with pytest.raises(Exception, match="not valid"):  # another key verifies afresh, and refuses
        decode_access_token(other, user.access_token)
