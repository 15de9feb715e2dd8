"""Platform operators: the CLI that creates them (and `marcus users create`), their login with
tokens of their own audience, listing, suspending and resuming workspaces."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from marcus.cli import app
from marcus.db.engine import Database
from marcus.operators.service import create_operator

OPERATOR_PASSWORD = "operator-password"


@pytest.fixture
async def operator(marcus_database):
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    async with marcus_database.db.platform_session() as session, session.begin():
        await create_operator(session, marcus_database.settings, email=email, password=OPERATOR_PASSWORD)
    return email


@pytest.fixture
async def h(marcus_database, marcus_app_factory):
    async with marcus_app_factory(marcus_database) as harness:
        yield harness


async def operator_headers(h, email: str) -> dict[str, str]:
    response = await h.client.post("/api/v1/platform/auth/login", json={"email": email, "password": OPERATOR_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_operator_lists_suspends_and_resumes_workspaces(h, operator, tenant_factory, user_factory):
    org = await tenant_factory()
    member = await user_factory(org)
    ops = await operator_headers(h, operator)
    listed = await h.client.get("/api/v1/platform/organizations", params={"q": org.slug}, headers=ops)
    assert listed.status_code == 200, listed.text
    assert [o["slug"] for o in listed.json()["items"]] == [org.slug]
    assert set(listed.json()) == {"items", "page", "limit", "total", "pages"}

    suspended = await h.client.post(f"/api/v1/platform/organizations/{org.id}/suspend", headers=ops)
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert (await h.client.get("/api/v1/me", headers=member.headers)).status_code == 404
    only_suspended = (
        await h.client.get("/api/v1/platform/organizations", params={"status": "suspended", "q": org.slug}, headers=ops)
    ).json()
    assert only_suspended["total"] == 1
    resumed = await h.client.post(f"/api/v1/platform/organizations/{org.id}/resume", headers=ops)
    assert resumed.json()["status"] == "active"
    assert (await h.client.get("/api/v1/me", headers=member.headers)).status_code == 200
    assert (
        await h.client.post(f"/api/v1/platform/organizations/{uuid.uuid4()}/suspend", headers=ops)
    ).status_code == 404


async def test_operator_and_tenant_tokens_do_not_cross(h, operator, tenant_factory, user_factory):
    org = await tenant_factory()
    owner = await user_factory(org, role="owner")
    ops = await operator_headers(h, operator)
    assert (await h.client.get("/api/v1/me", headers={**ops, "X-Tenant": org.slug})).status_code == 401
    assert (await h.client.get("/api/v1/users", headers={**ops, "X-Tenant": org.slug})).status_code == 401
    tenant_token = {"Authorization": owner.headers["Authorization"]}
    assert (await h.client.get("/api/v1/platform/organizations", headers=tenant_token)).status_code == 401
    assert (await h.client.get("/api/v1/platform/organizations")).status_code == 401
    wrong = await h.client.post("/api/v1/platform/auth/login", json={"email": operator, "password": "wrong-password"})
    assert wrong.status_code == 401
    tenant_login = await h.client.post(
        "/api/v1/platform/auth/login", json={"email": owner.email, "password": owner.password}
    )
    assert tenant_login.status_code == 401, "tenant accounts are not operators"


async def test_the_app_role_cannot_read_operators(marcus_database, operator):
    async with marcus_database.db.app_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM platform_operators"))).scalar() == 0


async def test_disabled_operator_token_stops_working(h, operator, marcus_database):
    ops = await operator_headers(h, operator)
    async with marcus_database.db.platform_session() as session, session.begin():
        await session.execute(text("UPDATE platform_operators SET is_active = false WHERE email = :e"), {"e": operator})
    assert (await h.client.get("/api/v1/platform/organizations", headers=ops)).status_code == 401


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def cli_env(marcus_database, monkeypatch, tmp_path):
    slug = f"cli-{uuid.uuid4().hex[:6]}"
    tenants = tmp_path / "tenants"
    tenants.mkdir()
    (tenants / f"{slug}.toml").write_text(f'slug = "{slug}"\nname = "CLI Shop"\n')
    for key, value in {
        "MARCUS_DATABASE_URL": marcus_database.admin_url,
        "MARCUS_TENANTS_DIR": str(tenants),
        "MARCUS_LOG_JSON": "false",
        "MARCUS_ARGON2_MEMORY_COST": "1024",
        "MARCUS_ARGON2_TIME_COST": "1",
        "MARCUS_ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(key, value)
    return slug


def test_cli_creates_operators_and_users(cli_env, marcus_database):
    email = f"cli-ops-{uuid.uuid4().hex[:6]}@example.com"
    created = run("operators", "create", email, "--password", "long-password")
    assert created.exit_code == 0, created.output
    assert "Password" not in created.output
    duplicate = run("operators", "create", email.upper(), "--password", "long-password")
    assert duplicate.exit_code == 1
    generated = run("operators", "create", f"gen-{email}")
    assert generated.exit_code == 0, generated.output
    assert "Password: " in generated.output
    assert run("operators", "create", "not-an-email").exit_code == 1

    assert run("tenants", "sync").exit_code == 0
    admin = run("users", "create", "first.admin@example.com", "--tenant", cli_env, "--role", "admin")
    assert admin.exit_code == 0, admin.output
    password = admin.output.split("Password: ", 1)[1].strip()
    assert len(password) >= 12
    missing = run("users", "create", "x@example.com", "--tenant", "no-such-workspace", "--role", "admin")
    assert missing.exit_code == 1
    assert "no-such-workspace" in missing.output

    async def check() -> tuple:
        db = Database(marcus_database.settings, admin_url=marcus_database.admin_url)
        try:
            async with db.platform_session() as session:
                return (
                    await session.execute(
                        text(
                            "SELECT u.is_verified, r.role FROM users u JOIN organizations o ON o.id = u.organization_id "
                            "JOIN role_assignments r ON r.organization_id = u.organization_id AND r.user_id = u.id "
                            "WHERE o.slug = :s AND u.email = 'first.admin@example.com'"
                        ),
                        {"s": cli_env},
                    )
                ).one()
        finally:
            await db.dispose()

    verified, role = asyncio.run(check())
    assert verified is True
    assert role == "admin"
