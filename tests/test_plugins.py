"""Plugin loading: the example plugin served per tenant, and every startup refusal names the plugin."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import APIRouter

import marcus
from marcus.plugins import PluginError, load_plugins
from marcus.testing import make_plugin


def manifest(name: str, *depends_on: str) -> marcus.PluginManifest:
    return marcus.PluginManifest(name=name, version="0.1.0", depends_on=depends_on)


async def test_plugin_router_served_for_enabled_tenant_only(
    example_database, example_plugin, tenant_factory, marcus_app_factory
):
    enabled = await tenant_factory(database=example_database, plugins=["example"])
    disabled = await tenant_factory(database=example_database)
    async with marcus_app_factory(example_database) as h:
        created = await h.client.post(
            "/api/v1/example/projects", json={"name": "Roof"}, headers={"X-Tenant": enabled.slug}
        )
        assert created.status_code == 201, created.text
        listed = await h.client.get("/api/v1/example/projects", headers={"X-Tenant": enabled.slug})
        assert [p["name"] for p in listed.json()] == ["Roof"]

        refused = await h.client.get("/api/v1/example/projects", headers={"X-Tenant": disabled.slug})
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "plugin_not_enabled"


async def test_plugin_rows_are_invisible_to_other_tenants(example_database, tenant_factory, marcus_app_factory):
    a = await tenant_factory(database=example_database, plugins=["example"])
    b = await tenant_factory(database=example_database, plugins=["example"])
    async with marcus_app_factory(example_database) as h:
        project = (
            await h.client.post("/api/v1/example/projects", json={"name": "A only"}, headers={"X-Tenant": a.slug})
        ).json()
        other = await h.client.get(f"/api/v1/example/projects/{project['id']}", headers={"X-Tenant": b.slug})
        assert other.status_code == 404
        assert (await h.client.get("/api/v1/example/projects", headers={"X-Tenant": b.slug})).json() == []
        mine = await h.client.get(f"/api/v1/example/projects/{project['id']}", headers={"X-Tenant": a.slug})
        assert mine.json()["name"] == "A only"


async def test_invalid_body_is_a_problem_naming_the_field(example_database, tenant_factory, marcus_app_factory):
    org = await tenant_factory(database=example_database, plugins=["example"])
    async with marcus_app_factory(example_database) as h:
        response = await h.client.post("/api/v1/example/projects", json={"name": ""}, headers={"X-Tenant": org.slug})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "validation_error"
        assert body["errors"][0]["field"] == "body.name"
        bad_id = await h.client.get("/api/v1/example/projects/not-a-uuid", headers={"X-Tenant": org.slug})
        assert bad_id.status_code == 422
        assert bad_id.json()["errors"][0]["field"] == "path.project_id"


def test_registry_holds_the_declarations(example_plugin):
    registry = load_plugins([example_plugin])
    assert registry.names == ["example"]
    assert set(registry.permissions) == {"example.project:read", "example.project:write"}
    assert [s.branch for s in registry.migrations] == ["example"]
    assert {m.__tablename__ for m in registry.models["example"]} == {"example_projects", "example_tasks"}


def test_duplicate_permission_refuses_startup_naming_the_plugin(example_plugin):
    thief = make_plugin(
        manifest("thief"),
        register_permissions=lambda: [marcus.Permission(name="example.project:read", description="mine")],
    )
    with pytest.raises(PluginError, match="plugin 'thief'.*not namespaced"):
        load_plugins([example_plugin, thief])
    twin = make_plugin(
        manifest("twin"),
        register_permissions=lambda: [
            marcus.Permission(name="twin.x:read", description="a"),
            marcus.Permission(name="twin.x:read", description="b"),
        ],
    )
    with pytest.raises(PluginError, match="plugin 'twin'.*already declared.*Fix: rename"):
        load_plugins([twin])


def test_misspelt_hook_refuses_startup_with_a_suggestion():
    def register_router() -> APIRouter:
        return APIRouter()

    typo = make_plugin(manifest("typo"), register_router=register_router)
    with pytest.raises(PluginError, match=r"plugin 'typo'.*'register_router'.*rename it to 'register_routers'"):
        load_plugins([typo])


def test_unknown_hook_argument_refuses_startup():
    def register_routers(tenant):  # no such argument in the spec
        return APIRouter()

    bad = make_plugin(manifest("badargs"), register_routers=register_routers)
    with pytest.raises(PluginError, match="plugin 'badargs'"):
        load_plugins([bad])


def test_missing_dependency_and_cycles_refuse_startup():
    with pytest.raises(PluginError, match="plugin 'needy'.*depends on 'ghost'.*install the 'ghost' plugin"):
        load_plugins([make_plugin(manifest("needy", "ghost"))])
    with pytest.raises(PluginError, match="cycle"):
        load_plugins([make_plugin(manifest("aa", "bb")), make_plugin(manifest("bb", "aa"))])


def test_plugins_load_in_dependency_order():
    registry = load_plugins([make_plugin(manifest("zeta")), make_plugin(manifest("alpha", "zeta"))])
    assert registry.names == ["zeta", "alpha"]


def test_module_without_manifest_is_refused():
    import types

    with pytest.raises(PluginError, match="no module-level `manifest`"):
        load_plugins([types.ModuleType("nothing_here")])


def test_bad_declarations_are_refused():
    wrong_router = make_plugin(manifest("wrongr"), register_routers=lambda: "not a router")
    with pytest.raises(PluginError, match="plugin 'wrongr'.*APIRouter"):
        load_plugins([wrong_router])
    missing_dir = make_plugin(
        manifest("nodir"),
        register_migrations=lambda: marcus.MigrationSource(
            path=Path("/nonexistent") / str(uuid.uuid4()), branch="nodir"
        ),
    )
    with pytest.raises(PluginError, match="plugin 'nodir'"):
        load_plugins([missing_dir])
    kernel_branch = make_plugin(
        manifest("sneak"),
        register_migrations=lambda: marcus.MigrationSource(path=Path(__file__).parent, branch="kernel"),
    )
    with pytest.raises(PluginError, match="branch 'kernel' is already used by the kernel"):
        load_plugins([kernel_branch])
    bad_grant = make_plugin(
        manifest("grants"),
        register_permissions=lambda: [
            marcus.Permission(name="grants.x:read", description="d", grants={"janitor": "any"})
        ],
    )
    with pytest.raises(PluginError, match="unknown roles"):
        load_plugins([bad_grant])


async def test_plugin_lifespan_is_entered_and_exited(example_database, marcus_app_factory):
    import contextlib

    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan():
        events.append("start")
        yield
        events.append("stop")

    plugin = make_plugin(manifest("lively"), plugin_lifespan=lambda: lifespan())
    async with marcus_app_factory(example_database, plugins=[plugin]) as h:
        assert (await h.client.get("/healthz")).status_code == 200
        assert events == ["start"]
    assert events == ["start", "stop"]
