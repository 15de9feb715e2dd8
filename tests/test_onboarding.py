"""Self-serve onboarding: a new organization signs up, its owner verifies, logs in and sees only
its own workspace, all provisioned in one transaction; the default workspace is untouched."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

import marcus
from marcus.plugins import load_plugins
from marcus.tenancy.manifests import sync_tenants


@pytest.fixture(scope="module")
async def onboarding_database(marcus_make_database):
    """A fresh database holding the default workspace from tenants/ (login_otp on)."""
    database = marcus_make_database(None)
    await sync_tenants(database.db, load_plugins(database.plugins), Path(__file__).parent.parent / "tenants")
    yield database
    await database.dispose()


async def snapshot(database, slug: str) -> tuple:
    async with database.db.platform_session() as session:
        org = (
            await session.execute(
                text("SELECT id, name, status, settings FROM organizations WHERE slug = :s"), {"s": slug}
            )
        ).one()
        users = (
            await session.execute(
                text("SELECT id, email FROM users WHERE organization_id = :o ORDER BY id"), {"o": org.id}
            )
        ).all()
    return tuple(org), tuple(map(tuple, users))


def signup_body(slug: str, email: str = "owner@example.com") -> dict:
    return {
        "name": "Bright Clinic",
        "slug": slug,
        "owner": {"email": email, "password": "owner-password", "first_name": "Olga", "last_name": "Owner"},
    }


async def test_signup_verify_login_and_see_only_your_workspace(
    onboarding_database, marcus_app_factory, mailbox, user_factory
):
    mailbox = mailbox.on(onboarding_database)
    default_user = await user_factory(
        await _default_org(onboarding_database), database=onboarding_database, email="owner@example.com"
    )
    before = await snapshot(onboarding_database, "default")
    slug = f"bright-{uuid.uuid4().hex[:6]}"
    async with marcus_app_factory(onboarding_database) as h:
        created = await h.client.post("/api/v1/organizations", json=signup_body(slug, "Owner@Example.com"))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["organization"]["slug"] == slug
        assert body["owner"]["roles"] == ["owner"]
        assert body["owner"]["is_verified"] is False
        org_id = uuid.UUID(body["organization"]["id"])

        mail = await mailbox.last("owner@example.com", org_id=org_id)
        assert "Bright Clinic" in mail.subject
        headers = {"X-Tenant": slug}
        verified = await h.client.post(
            "/api/v1/auth/verify", json={"email": "owner@example.com", "code": mail.code}, headers=headers
        )
        assert verified.status_code == 200, verified.text
        login = await h.client.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": "owner-password"}, headers=headers
        )
        assert login.status_code == 200, login.text
        owner = {"Authorization": f"Bearer {login.json()['access_token']}", "X-Tenant": slug}
        by_host = {"Authorization": owner["Authorization"], "Host": f"{slug}.localhost"}
        assert (await h.client.get("/api/v1/me", headers=by_host)).json()["roles"] == ["owner"]
        listed = (await h.client.get("/api/v1/users", headers=owner)).json()
        assert [u["email"] for u in listed["items"]] == ["owner@example.com"]
        assert listed["items"][0]["id"] != str(default_user.id)
        on_default = await h.client.get("/api/v1/users", headers={"Authorization": owner["Authorization"]})
        assert on_default.status_code == 401, "the owner's token is for its own workspace only"
        default_login = await h.client.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": default_user.password}
        )
        assert default_login.status_code == 202, "the default workspace keeps its own account and its login code step"
    assert await snapshot(onboarding_database, "default") == before


async def _default_org(database):
    from sqlalchemy import select

    async with database.db.platform_session() as session:
        return await session.scalar(select(marcus.Organization).where(marcus.Organization.slug == "default"))


async def test_slug_rules_and_conflicts(onboarding_database, marcus_app_factory):
    async with marcus_app_factory(onboarding_database) as h:
        taken = await h.client.post("/api/v1/organizations", json=signup_body("default"))
        assert taken.status_code == 409
        assert taken.json()["code"] == "slug_taken"
        for slug, code in (
            ("admin", "reserved_slug"),
            ("-bad-", "invalid_slug"),
            ("a", "invalid_slug"),
            ("under_score", "invalid_slug"),
        ):
            response = await h.client.post("/api/v1/organizations", json=signup_body(slug))
            assert response.status_code == 422, slug
            assert response.json()["code"] == code
            assert response.json()["errors"][0]["field"] == "slug"
        upper = await h.client.post("/api/v1/organizations", json=signup_body(f"Mixed-{uuid.uuid4().hex[:6]}"))
        assert upper.status_code == 201
        assert upper.json()["organization"]["slug"].startswith("mixed-")
        extra = signup_body(f"x-{uuid.uuid4().hex[:6]}")
        extra["owner"]["role"] = "admin"
        refused = await h.client.post("/api/v1/organizations", json=extra)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.owner.role"


async def test_provisioning_is_one_transaction(marcus_make_database, marcus_app_factory, marcus_plugin):
    async def provision_tenant(session, organization):
        raise RuntimeError("provisioning failed")

    failing = marcus_plugin(marcus.PluginManifest(name="failing", version="1"), provision_tenant=provision_tenant)
    database = marcus_make_database([failing])
    slug = f"doomed-{uuid.uuid4().hex[:6]}"
    try:
        async with marcus_app_factory(database, default_plugins=["failing"]) as h:
            response = await h.client.post("/api/v1/organizations", json=signup_body(slug))
            assert response.status_code == 500
        async with database.db.platform_session() as session:
            assert await session.scalar(text("SELECT count(*) FROM organizations WHERE slug = :s"), {"s": slug}) == 0
            assert await session.scalar(text("SELECT count(*) FROM users")) == 0
            assert await session.scalar(text("SELECT count(*) FROM mail_messages")) == 0
    finally:
        await database.dispose()


async def test_default_plugins_are_enabled_for_new_workspaces(marcus_make_database, marcus_app_factory, marcus_plugin):
    provisioned = []

    async def provision_tenant(session, organization):
        provisioned.append(organization.slug)

    plugin = marcus_plugin(marcus.PluginManifest(name="starter", version="1"), provision_tenant=provision_tenant)
    database = marcus_make_database([plugin])
    slug = f"fresh-{uuid.uuid4().hex[:6]}"
    try:
        async with marcus_app_factory(database, default_plugins=["starter"]) as h:
            assert (await h.client.post("/api/v1/organizations", json=signup_body(slug))).status_code == 201
        assert provisioned == [slug]
        async with database.db.platform_session() as session:
            enabled = await session.scalar(
                text(
                    "SELECT p.plugin FROM organization_plugins p JOIN organizations o ON o.id = p.organization_id WHERE o.slug = :s"
                ),
                {"s": slug},
            )
        assert enabled == "starter"
    finally:
        await database.dispose()
