"""Authorization against real PostgreSQL: role templates, scopes, tenant isolation, custom roles
through /api/v1/roles, the rules on granting, and policy changes reaching other replicas."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Annotated, Any

import pytest
import pytest_asyncio
from fastapi import APIRouter, Request
from sqlalchemy import bindparam, select, text

import marcus
from marcus import CurrentTenant, Grant, SessionDep, require
from marcus.app import create_app
from marcus.auth.deps import get_principal
from marcus.auth.models import User
from marcus.auth.principal import Principal
from marcus.errors import Conflict, Invalid
from marcus.plugins import PluginError
from marcus.rbac import assign_role, revoke_role, roles_of
from marcus.testing import TestDatabase, make_plugin

REDIS_URL = os.environ.get("MARCUS_TEST_REDIS_URL")

notes_router = APIRouter()


@notes_router.get("/visible-users")
async def visible_users(grant: Annotated[Grant, require("notes.note:read")], session: SessionDep) -> dict[str, Any]:
    """The users whose rows the caller may read: ``own`` is just the caller."""
    ids = await session.scalars(
        select(User.id).where(User.organization_id == grant.principal.org_id, grant.owner_filter(User.id))
    )
    return {"scope": grant.scope, "ids": sorted(str(i) for i in ids)}


@notes_router.get("/admin", dependencies=[require("notes.note:admin")])
async def notes_admin() -> dict[str, bool]:
    """Only for holders of notes.note:admin."""
    return {"ok": True}


NOTES = make_plugin(
    marcus.PluginManifest(name="notes", version="1.0.0"),
    register_routers=lambda: notes_router,
    register_permissions=lambda: [
        marcus.Permission(name="notes.note:read", description="Read notes", grants={"customer": "own", "staff": "any"}),
        marcus.Permission(name="notes.note:admin", description="Administer notes"),
    ],
)


async def principal_from_header(request: Request, tenant: CurrentTenant) -> Principal:
    """Test double for get_principal: the caller is X-Test-User, in the request's workspace."""
    user = uuid.UUID(request.headers["x-test-user"])
    return Principal(user_id=user, org_id=tenant.id, email="test@example.com", session_id=uuid.uuid4())


@pytest.fixture(scope="module")
def rbac_db(marcus_make_database) -> TestDatabase:
    return marcus_make_database([NOTES])


@pytest_asyncio.fixture
async def app(rbac_db, marcus_app_factory):
    async with marcus_app_factory(rbac_db) as harness:
        harness.app.api.dependency_overrides[get_principal] = principal_from_header
        yield harness


@pytest_asyncio.fixture
async def org(rbac_db, tenant_factory):
    return await tenant_factory(database=rbac_db, plugins=["notes"])


async def add_user(db: TestDatabase, org, *roles: str) -> uuid.UUID:
    async with db.db.tenant_transaction(org.id) as session:
        user = User(email=f"{uuid.uuid4().hex[:10]}@example.com", is_verified=True)
        session.add(user)
        await session.flush()
        for role in roles:
            await assign_role(session, org_id=org.id, user_id=user.id, role=role)
    return user.id


def as_user(org, user: uuid.UUID) -> dict[str, str]:
    return {"X-Tenant": org.slug, "X-Test-User": str(user)}


# ------------------------------------------------------------------------- templates, scopes


async def test_templates_grant_what_they_declare(app, rbac_db, org):
    users = {role: await add_user(rbac_db, org, role) for role in ("owner", "admin", "staff", "customer")}
    nobody = await add_user(rbac_db, org)
    expected = {
        "owner": {"kernel.user:read": "any", "kernel.role:manage": "any", "notes.note:read": "any"},
        "admin": {"kernel.user:write": "any", "kernel.mail:read": "any", "notes.note:admin": "any"},
        "staff": {"kernel.user:read": "any", "notes.note:read": "any", "kernel.user:write": None},
        "customer": {"notes.note:read": "own", "kernel.user:read": None, "notes.note:admin": None},
    }
    rbac = app.kernel.rbac
    for role, checks in expected.items():
        for permission, scope in checks.items():
            assert await rbac.check(org.id, users[role], permission) == scope, (role, permission)
    assert set((await rbac.holdings(org.id, users["owner"])).values()) == {"any"}
    assert len(await rbac.holdings(org.id, users["owner"])) == len(rbac.permissions)
    assert await rbac.holdings(org.id, nobody) == {}

    listed = await app.client.get("/api/v1/roles", headers=as_user(org, users["owner"]))
    assert listed.status_code == 200, listed.text
    templates = {r["name"]: r for r in listed.json()["items"] if r["template"]}
    assert list(templates) == ["owner", "admin", "staff", "customer"]
    customer, staff = templates["customer"]["permissions"], templates["staff"]["permissions"]
    assert customer["notes.note:read"] == "own"
    assert staff["notes.note:read"] == staff["kernel.user:read"] == "any"
    assert not {"notes.note:admin", "kernel.role:manage", "kernel.user:write"} & (set(customer) | set(staff))
    assert templates["admin"]["permissions"] == dict.fromkeys(rbac.permissions, "any")


async def test_own_scope_limits_rows_to_the_caller_and_any_sees_all(app, rbac_db, org):
    customer, other = await add_user(rbac_db, org, "customer"), await add_user(rbac_db, org, "customer")
    staff = await add_user(rbac_db, org, "staff")

    mine = await app.client.get("/api/v1/notes/visible-users", headers=as_user(org, customer))
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"scope": "own", "ids": [str(customer)]}

    everyone = (await app.client.get("/api/v1/notes/visible-users", headers=as_user(org, staff))).json()
    assert everyone["scope"] == "any"
    assert {str(customer), str(other), str(staff)} <= set(everyone["ids"])


async def test_customer_is_403_on_admin_permissions_with_the_permission_named(app, rbac_db, org):
    customer = await add_user(rbac_db, org, "customer")
    admin = await add_user(rbac_db, org, "admin")
    for path, permission in (("/api/v1/notes/admin", "notes.note:admin"), ("/api/v1/roles", "kernel.role:manage")):
        refused = await app.client.get(path, headers=as_user(org, customer))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["code"] == "permission_denied"
        assert permission in body["detail"]
        assert body["errors"][0]["permission"] == permission
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(org, admin))).json() == {"ok": True}


async def test_a_user_without_roles_gets_nothing(app, rbac_db, org):
    nobody = await add_user(rbac_db, org)
    assert (await app.client.get("/api/v1/notes/visible-users", headers=as_user(org, nobody))).status_code == 403


async def test_assignments_in_one_tenant_do_not_apply_in_another(app, rbac_db, tenant_factory):
    a = await tenant_factory(database=rbac_db, plugins=["notes"])
    b = await tenant_factory(database=rbac_db, plugins=["notes"])
    admin_of_a = await add_user(rbac_db, a, "admin")
    assert await app.kernel.rbac.check(a.id, admin_of_a, "notes.note:admin") == "any"
    assert await app.kernel.rbac.check(b.id, admin_of_a, "notes.note:admin") is None
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(b, admin_of_a))).status_code == 403
    async with rbac_db.db.tenant_session(b.id) as session:
        assert await roles_of(session, org_id=b.id, user_id=admin_of_a) == []


async def test_grant_owner_filter_and_covers():
    me = uuid.uuid4()
    principal = Principal(user_id=me, org_id=uuid.uuid4(), email="x@example.com", session_id=uuid.uuid4())
    own = Grant(principal=principal, permission="notes.note:read", scope="own")
    anyone = Grant(principal=principal, permission="notes.note:read", scope="any")
    assert str(anyone.owner_filter(User.id).compile()) == "true"
    assert str(own.owner_filter(User.id).compile()) == "users.id = :id_1"
    assert str(own.owner_filter(User.id, caller=bindparam("caller")).compile()) == "users.id = :caller"
    assert str(anyone.owner_filter(User.id, caller=bindparam("caller")).compile()) == "true"
    assert own.covers(me)
    assert not own.covers(uuid.uuid4())
    assert anyone.covers(uuid.uuid4())


def test_require_refuses_a_malformed_permission_name():
    with pytest.raises(ValueError, match="not a permission name"):
        require("Notes-read")


# --------------------------------------------------------------------- assignment functions


async def test_assign_revoke_and_roles_of(rbac_db, org):
    user = await add_user(rbac_db, org)
    async with rbac_db.db.tenant_transaction(org.id) as session:
        await assign_role(session, org_id=org.id, user_id=user, role="staff")
        await assign_role(session, org_id=org.id, user_id=user, role="staff")  # idempotent
        await assign_role(session, org_id=org.id, user_id=user, role="customer")
        assert await roles_of(session, org_id=org.id, user_id=user) == ["customer", "staff"]
        await revoke_role(session, org_id=org.id, user_id=user, role="staff")
        assert await roles_of(session, org_id=org.id, user_id=user) == ["customer"]
        with pytest.raises(Invalid, match="no role 'wizard'"):
            await assign_role(session, org_id=org.id, user_id=user, role="wizard")


async def test_last_owner_cannot_be_removed(app, rbac_db, org):
    owner = await add_user(rbac_db, org, "owner")
    async with rbac_db.db.tenant_transaction(org.id) as session:
        with pytest.raises(Conflict, match="last owner"):
            await revoke_role(session, org_id=org.id, user_id=owner, role="owner")

    refused = await app.client.delete(f"/api/v1/roles/users/{owner}/owner", headers=as_user(org, owner))
    assert refused.status_code == 409
    assert refused.json()["code"] == "last_owner"

    second = await add_user(rbac_db, org)
    made = await app.client.post(f"/api/v1/roles/users/{second}", json={"role": "owner"}, headers=as_user(org, owner))
    assert made.status_code == 200, made.text
    assert made.json()["roles"] == ["owner"]
    stepped_down = await app.client.delete(f"/api/v1/roles/users/{owner}/owner", headers=as_user(org, owner))
    assert stepped_down.status_code == 200
    assert stepped_down.json()["roles"] == []
    last = await app.client.delete(f"/api/v1/roles/users/{second}/owner", headers=as_user(org, second))
    assert last.status_code == 409


# ----------------------------------------------------------------------- custom roles (API)


async def test_custom_role_create_assign_revoke_through_the_api(app, rbac_db, org):
    admin, clerk = await add_user(rbac_db, org, "admin"), await add_user(rbac_db, org)
    headers = as_user(org, admin)
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403

    created = await app.client.post(
        "/api/v1/roles",
        json={"name": "reception", "description": "Front desk", "permissions": {"notes.note:admin": "any"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "reception",
        "description": "Front desk",
        "template": False,
        "permissions": {"notes.note:admin": "any"},
    }
    assigned = await app.client.post(f"/api/v1/roles/users/{clerk}", json={"role": "reception"}, headers=headers)
    assert assigned.json() == {"user_id": str(clerk), "roles": ["reception"]}
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 200

    updated = await app.client.patch(
        "/api/v1/roles/reception", json={"permissions": {"notes.note:read": "own"}}, headers=headers
    )
    assert updated.json()["permissions"] == {"notes.note:read": "own"}
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403
    scoped = await app.client.get("/api/v1/notes/visible-users", headers=as_user(org, clerk))
    assert scoped.json() == {"scope": "own", "ids": [str(clerk)]}

    listed = (await app.client.get("/api/v1/roles", headers=headers)).json()
    assert [r["name"] for r in listed["items"]] == ["owner", "admin", "staff", "customer", "reception"]
    assert listed["total"] == 5
    assert (await app.client.get(f"/api/v1/roles/users/{clerk}", headers=headers)).json()["roles"] == ["reception"]

    revoked = await app.client.delete(f"/api/v1/roles/users/{clerk}/reception", headers=headers)
    assert revoked.json()["roles"] == []
    assert (await app.client.get("/api/v1/notes/visible-users", headers=as_user(org, clerk))).status_code == 403

    await app.client.post(f"/api/v1/roles/users/{clerk}", json={"role": "reception"}, headers=headers)
    assert (await app.client.delete("/api/v1/roles/reception", headers=headers)).status_code == 204
    assert (await app.client.get("/api/v1/roles/reception", headers=headers)).status_code == 404
    assert (await app.client.get(f"/api/v1/roles/users/{clerk}", headers=headers)).json()["roles"] == []


async def test_custom_roles_are_per_tenant(app, rbac_db, tenant_factory):
    a = await tenant_factory(database=rbac_db, plugins=["notes"])
    b = await tenant_factory(database=rbac_db, plugins=["notes"])
    admin_a, admin_b = await add_user(rbac_db, a, "admin"), await add_user(rbac_db, b, "admin")
    body = {"name": "desk", "permissions": {"notes.note:read": "any"}}
    assert (await app.client.post("/api/v1/roles", json=body, headers=as_user(a, admin_a))).status_code == 201
    assert (await app.client.get("/api/v1/roles/desk", headers=as_user(b, admin_b))).status_code == 404
    assert (await app.client.post("/api/v1/roles", json=body, headers=as_user(b, admin_b))).status_code == 201


async def test_duplicate_custom_role_name_is_409(app, rbac_db, org):
    headers = as_user(org, await add_user(rbac_db, org, "owner"))
    body = {"name": "clerk", "permissions": {}}
    assert (await app.client.post("/api/v1/roles", json=body, headers=headers)).status_code == 201
    again = await app.client.post("/api/v1/roles", json=body, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "role_exists"
    template = await app.client.post("/api/v1/roles", json={"name": "admin"}, headers=headers)
    assert template.status_code == 409


async def test_unknown_permission_in_a_custom_role_is_422_naming_it(app, rbac_db, org):
    headers = as_user(org, await add_user(rbac_db, org, "admin"))
    response = await app.client.post(
        "/api/v1/roles",
        json={"name": "ghost", "permissions": {"notes.note:read": "any", "notes.ghost:haunt": "own"}},
        headers=headers,
    )
    assert response.status_code == 422
    body = response.json()
    assert "notes.ghost:haunt" in body["detail"]
    assert body["errors"] == [{"field": "permissions.notes.ghost:haunt", "message": "not a declared permission"}]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/roles", {"name": "Bad Name!"}, "body.name"),
        ("post", "/api/v1/roles", {"name": "okname", "permissions": {"notes.note:read": "all"}}, "body.permissions"),
        ("post", "/api/v1/roles", {"name": "okname", "colour": "red"}, "body.colour"),
        ("post", "/api/v1/roles", {"name": "permissions"}, "name"),
        ("patch", "/api/v1/roles/UPPER", {}, "path.name"),
        ("post", "/api/v1/roles/users/not-a-uuid", {"role": "staff"}, "path.user_id"),
        ("post", "/api/v1/roles/users/{user}", {"role": "wizard"}, "role"),
        ("get", "/api/v1/roles?limit=1000", None, "query.limit"),
    ],
)
async def test_bad_input_is_a_4xx_naming_the_field(app, rbac_db, org, method, path, body, field):
    admin = await add_user(rbac_db, org, "admin")
    kwargs: dict[str, Any] = {"headers": as_user(org, admin)} | ({"json": body} if body is not None else {})
    response = await getattr(app.client, method)(path.format(user=admin), **kwargs)
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.json()


async def test_assigning_to_an_unknown_user_is_404(app, rbac_db, org):
    headers = as_user(org, await add_user(rbac_db, org, "admin"))
    response = await app.client.post(f"/api/v1/roles/users/{uuid.uuid4()}", json={"role": "staff"}, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "user_not_found"


async def test_nobody_grants_what_they_do_not_hold(app, rbac_db, org):
    owner = await add_user(rbac_db, org, "owner")
    made = await app.client.post(
        "/api/v1/roles",
        json={"name": "role-manager", "permissions": {"kernel.role:manage": "any", "notes.note:read": "own"}},
        headers=as_user(org, owner),
    )
    assert made.status_code == 201, made.text
    manager, target = await add_user(rbac_db, org, "role-manager"), await add_user(rbac_db, org)
    headers = as_user(org, manager)

    wider = await app.client.post(
        "/api/v1/roles", json={"name": "wider", "permissions": {"notes.note:read": "any"}}, headers=headers
    )
    assert wider.status_code == 403
    assert wider.json()["errors"] == [{"field": "permissions.notes.note:read", "message": "you do not hold it"}]
    same = await app.client.post(
        "/api/v1/roles", json={"name": "same", "permissions": {"notes.note:read": "own"}}, headers=headers
    )
    assert same.status_code == 201

    for role in ("admin", "staff"):
        refused = await app.client.post(f"/api/v1/roles/users/{target}", json={"role": role}, headers=headers)
        assert refused.status_code == 403, role
    assert (await app.client.post(f"/api/v1/roles/users/{target}", json={"role": "same"}, headers=headers)).is_success

    admin = await add_user(rbac_db, org, "admin")
    owner_only = await app.client.post(
        f"/api/v1/roles/users/{target}", json={"role": "owner"}, headers=as_user(org, admin)
    )
    assert owner_only.status_code == 403
    assert owner_only.json()["code"] == "owner_only"
    demote = await app.client.delete(f"/api/v1/roles/users/{owner}/owner", headers=as_user(org, admin))
    assert demote.status_code == 403


async def test_templates_cannot_be_edited(app, rbac_db, org):
    headers = as_user(org, await add_user(rbac_db, org, "owner"))
    response = await app.client.patch("/api/v1/roles/admin", json={"description": "x"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "template_role"


async def test_declared_permissions_are_listed(app, rbac_db, org):
    headers = as_user(org, await add_user(rbac_db, org, "admin"))
    page = (await app.client.get("/api/v1/roles/permissions?limit=100", headers=headers)).json()
    names = [p["name"] for p in page["items"]]
    assert {"kernel.user:read", "kernel.role:manage", "notes.note:read", "notes.note:admin"} <= set(names)
    assert names == sorted(names)


# --------------------------------------------------------------------------- several replicas


async def test_a_change_through_one_replica_is_seen_by_another(rbac_db, org, marcus_app_factory):
    admin, clerk = await add_user(rbac_db, org, "admin"), await add_user(rbac_db, org)
    async with marcus_app_factory(rbac_db) as one, marcus_app_factory(rbac_db) as two:
        for h in (one, two):
            h.app.api.dependency_overrides[get_principal] = principal_from_header
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403

        # recheck_seconds == 0 (test settings): every check compares the tenant's policy version
        await one.client.post(f"/api/v1/roles/users/{clerk}", json={"role": "admin"}, headers=as_user(org, admin))
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 200

        # a cached replica keeps its copy until the version poll tells it otherwise
        two.kernel.rbac.recheck_seconds = 3600
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 200
        await one.client.delete(f"/api/v1/roles/users/{clerk}/admin", headers=as_user(org, admin))
        assert (await one.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 200
        await two.kernel.rbac.poll_once()
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403


async def test_the_background_version_poll_refreshes_a_caching_replica(rbac_db, org, marcus_app_factory):
    admin, clerk = await add_user(rbac_db, org, "admin"), await add_user(rbac_db, org)
    async with marcus_app_factory(rbac_db) as one, marcus_app_factory(rbac_db, tenant_cache_ttl=0.2) as two:
        for h in (one, two):
            h.app.api.dependency_overrides[get_principal] = principal_from_header
        assert two.kernel.rbac.recheck_seconds == 0.2
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403
        await one.client.post(f"/api/v1/roles/users/{clerk}", json={"role": "admin"}, headers=as_user(org, admin))
        seen = []
        for _ in range(40):
            seen.append((await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code)
            if seen[-1] == 200:
                break
            await asyncio.sleep(0.05)
        assert seen[-1] == 200
        assert len(seen) <= 10  # within ~recheck_seconds, not by luck at the end


async def test_a_change_committed_on_this_replica_applies_at_once(app, rbac_db, org):
    admin, clerk = await add_user(rbac_db, org, "admin"), await add_user(rbac_db, org)
    app.kernel.rbac.recheck_seconds = 3600
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403
    await app.client.post(f"/api/v1/roles/users/{clerk}", json={"role": "admin"}, headers=as_user(org, admin))
    assert (await app.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 200


async def test_any_write_path_bumps_the_version_so_replicas_notice(app, rbac_db, org):
    clerk = await add_user(rbac_db, org)
    app.kernel.rbac.recheck_seconds = 3600
    assert await app.kernel.rbac.check(org.id, clerk, "notes.note:admin") is None
    async with rbac_db.db.tenant_transaction(org.id) as session:  # raw SQL, not the rbac service
        await session.execute(
            text("INSERT INTO role_assignments (organization_id, id, user_id, role) VALUES (:o, :i, :u, 'admin')"),
            {"o": org.id, "i": uuid.uuid4(), "u": clerk},
        )
    assert await app.kernel.rbac.check(org.id, clerk, "notes.note:admin") is None  # cached
    await app.kernel.rbac.poll_once()
    assert await app.kernel.rbac.check(org.id, clerk, "notes.note:admin") == "any"


async def test_a_forgotten_tenant_reloads_from_the_database(app, rbac_db, org):
    admin = await add_user(rbac_db, org, "admin")
    rbac = app.kernel.rbac
    assert await rbac.check(org.id, admin, "notes.note:admin") == "any"
    tenants, links, _ = rbac.held
    rbac.forget(org.id)
    assert rbac.held[:2] == (tenants - 1, links - 1)
    assert rbac.enforce(org.id, admin, "notes.note:admin") is None  # nothing left in casbin
    assert await rbac.check(org.id, admin, "notes.note:admin") == "any"


async def test_deleting_a_workspace_with_roles_succeeds(rbac_db, tenant_factory):
    doomed = await tenant_factory(database=rbac_db, plugins=["notes"])
    await add_user(rbac_db, doomed, "owner")
    async with rbac_db.db.platform_session() as session, session.begin():
        await session.execute(text("DELETE FROM organizations WHERE id = :o"), {"o": doomed.id})
    async with rbac_db.db.platform_session() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM rbac_policy_versions WHERE organization_id = :o"), {"o": doomed.id}
        )
    assert left == 0


async def test_a_blocked_owner_does_not_count_as_another_owner(rbac_db, org):
    owner, blocked = await add_user(rbac_db, org, "owner"), await add_user(rbac_db, org, "owner")
    async with rbac_db.db.tenant_transaction(org.id) as session:
        await session.execute(text("UPDATE users SET is_blocked = true WHERE id = :u"), {"u": blocked})
        with pytest.raises(Conflict):
            await revoke_role(session, org_id=org.id, user_id=owner, role="owner")


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="set MARCUS_TEST_REDIS_URL to run the Redis notification test")
async def test_a_change_reaches_another_replica_through_redis(rbac_db, org, marcus_app_factory):
    admin, clerk = await add_user(rbac_db, org, "admin"), await add_user(rbac_db, org)
    async with (
        marcus_app_factory(rbac_db, redis_url=REDIS_URL) as one,
        marcus_app_factory(rbac_db, redis_url=REDIS_URL) as two,
    ):
        for h in (one, two):
            h.app.api.dependency_overrides[get_principal] = principal_from_header
        two.kernel.rbac.recheck_seconds = 3600  # only the notification can tell replica two
        assert (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code == 403
        await one.client.post(f"/api/v1/roles/users/{clerk}", json={"role": "admin"}, headers=as_user(org, admin))
        status = 403
        for _ in range(100):
            status = (await two.client.get("/api/v1/notes/admin", headers=as_user(org, clerk))).status_code
            if status == 200:
                break
            await asyncio.sleep(0.02)
        assert status == 200


# --------------------------------------------------------------------------- startup refusals


@pytest.mark.parametrize(
    ("grants", "problem"),
    [({"superuser": "any"}, "unknown roles"), ({"customer": "all"}, "scopes")],
)
def test_startup_refuses_bad_default_grants_naming_the_plugin(rbac_db, grants, problem):
    bad = make_plugin(
        marcus.PluginManifest(name="shady", version="1"),
        register_permissions=lambda: [marcus.Permission(name="shady.thing:do", description="x", grants=grants)],
    )
    with pytest.raises(PluginError, match=f"plugin 'shady'.*{problem}"):
        create_app(rbac_db.settings, plugins=[bad])


def test_startup_refuses_a_route_requiring_an_undeclared_permission(rbac_db):
    router = APIRouter()

    @router.get("/x", dependencies=[require("sloppy.thing:read")])
    async def x() -> None:
        """Guarded by a permission nobody declared."""

    sloppy = make_plugin(marcus.PluginManifest(name="sloppy", version="1"), register_routers=lambda: router)
    with pytest.raises(PluginError, match=r"plugin 'sloppy'.*undeclared permission 'sloppy.thing:read'"):
        create_app(rbac_db.settings, plugins=[sloppy])


def test_startup_refuses_a_plugin_redeclaring_a_kernel_permission(rbac_db):
    squatter = make_plugin(
        marcus.PluginManifest(name="kernel", version="1"),
        register_permissions=lambda: [marcus.Permission(name="kernel.user:read", description="mine")],
    )
    with pytest.raises(PluginError, match="already declared by the kernel"):
        create_app(rbac_db.settings, plugins=[squatter])
