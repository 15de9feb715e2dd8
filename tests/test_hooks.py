"""One test per hook of the plugin API (a meta-test keeps it so), the hook reference in
docs/plugins.md, plugin API versioning and hook deprecation."""

from __future__ import annotations

import contextlib
import inspect
import re
import sys
import warnings
from pathlib import Path

import pytest
import socketio
from fastapi import APIRouter
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.orm import registry as orm_registry

import marcus
from marcus import hookspecs
from marcus.events import Event, Notice, publish
from marcus.jobs import JobRunner
from marcus.plugin_docs import END, START, hook_names, hooks_reference
from marcus.plugins import PluginDeprecationWarning, PluginError, load_plugins
from marcus.tenancy import service
from marcus.tenancy.models import Organization
from marcus.testing import make_plugin, relay_for

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"


def manifest(name: str, **kwargs) -> marcus.PluginManifest:
    return marcus.PluginManifest(name=name, version="1", **kwargs)


# --- meta ------------------------------------------------------------------------------------


def test_every_hook_has_a_test_and_a_guide_section():
    tests = {name for name, _ in inspect.getmembers(sys.modules[__name__], inspect.isfunction)}
    guide = GUIDE.read_text()
    for hook in hook_names():
        assert f"test_hook_{hook}" in tests, f"write test_hook_{hook} in tests/test_hooks.py"
        assert f"### `{hook}`" in guide, f"document {hook} in docs/plugins.md (marcus plugins hooks)"


def test_guide_reference_matches_the_hookspecs():
    guide = GUIDE.read_text()
    section = guide[guide.index(START) + len(START) : guide.index(END)].strip()
    assert section == hooks_reference().strip(), "regenerate: marcus plugins hooks > the section of docs/plugins.md"


def test_every_hookspec_is_documented():
    for hook in hook_names():
        doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
        assert len(doc.splitlines()[0]) > 20, f"{hook} needs a docstring saying when it is called and what to return"


# --- versioning ------------------------------------------------------------------------------


def test_requires_kernel_is_checked_at_startup():
    load_plugins([make_plugin(manifest("fits", requires_kernel=f"=={marcus.PLUGIN_API_VERSION}"))])
    with pytest.raises(PluginError, match=r"plugin 'future'.*requires kernel plugin API >=9"):
        load_plugins([make_plugin(manifest("future", requires_kernel=">=9"))])
    with pytest.raises(PluginError, match="not a version specifier"):
        load_plugins([make_plugin(manifest("garbled", requires_kernel="soon"))])


def test_deprecated_hooks_warn_with_the_replacement(monkeypatch):
    monkeypatch.setitem(
        hookspecs.DEPRECATED_HOOKS,
        "register_pages",
        hookspecs.Deprecation(since="1.1", removal="2.0", use="register_portal"),
    )
    old = make_plugin(manifest("oldtimer"), register_pages=lambda: marcus.PageSet(router=APIRouter()))
    with pytest.warns(PluginDeprecationWarning, match="'oldtimer' implements 'register_pages'.*use register_portal"):
        load_plugins([old])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_plugins([make_plugin(manifest("modern"))])


# --- registration hooks ----------------------------------------------------------------------


async def test_hook_register_routers(example_database, tenant_factory, marcus_app_factory):
    org = await tenant_factory(database=example_database, plugins=["example"])
    async with marcus_app_factory(example_database) as h:
        assert "/api/v1/example/projects" in h.app.api.openapi()["paths"]
        assert (await h.client.get("/api/v1/example/projects", headers={"X-Tenant": org.slug})).status_code == 200


async def test_hook_register_root_routers(example_database, tenant_factory, marcus_app_factory):
    router = APIRouter()

    @router.get("/")
    async def hello() -> dict[str, str]:
        return {"hello": "root"}

    plugin = make_plugin(manifest("rooty"), register_root_routers=lambda: router)
    on = await tenant_factory(database=example_database, plugins=["rooty"], installed=[plugin])
    off = await tenant_factory(database=example_database, plugins=[], installed=[plugin])
    async with marcus_app_factory(example_database, plugins=[plugin], worker=False) as h:
        assert (await h.client.get("/", headers={"X-Tenant": on.slug})).json() == {"hello": "root"}
        # another workspace, and a browser loading a page, fall through to the portal
        other = await h.client.get("/", headers={"X-Tenant": off.slug})
        assert other.headers["content-type"].startswith("text/html")
        page = await h.client.get("/", headers={"X-Tenant": on.slug, "Accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html")
    taken = APIRouter()
    taken.add_api_route("/api/v1/users", hello)
    with pytest.raises(PluginError, match="would take a kernel path"):
        load_plugins([make_plugin(manifest("greedy"), register_root_routers=lambda: taken)])


def test_hook_register_models(example_plugin):
    assert {m.__name__ for m in load_plugins([example_plugin]).models["example"]} == {"Project", "Task"}

    class Loose(marcus.Base):  # has organization_id but is not TenantScoped
        __table__ = Table(
            "hooks_loose", MetaData(), Column("id", Integer, primary_key=True), Column("organization_id", String)
        )

    with pytest.raises(PluginError, match="not TenantScoped"):
        load_plugins([make_plugin(manifest("loose"), register_models=lambda: [Loose])])
    orm_registry().dispose()


async def test_hook_register_migrations(example_database):
    async with example_database.db.platform_engine.connect() as conn:
        tables = set((await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))).scalars())
        heads = set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    assert {"example_projects", "example_tasks"} <= tables
    assert "example_0001" in heads


async def test_hook_register_permissions(
    example_database, example_plugin, tenant_factory, user_factory, marcus_app_factory
):
    org = await tenant_factory(database=example_database, plugins=["example"])
    admin = await user_factory(org, database=example_database, role="admin")
    async with marcus_app_factory(example_database) as h:
        declared = (await h.client.get("/api/v1/roles/permissions", headers=admin.headers)).json()
    names = {p["name"] for p in (declared["items"] if isinstance(declared, dict) else declared)}
    assert {"example.project:read", "example.project:write"} <= names


async def test_hook_register_socketio_namespaces(example_database, marcus_app_factory):
    class Stub(socketio.AsyncNamespace):
        pass

    plugin = make_plugin(manifest("stubby"), register_socketio_namespaces=lambda: [Stub("/stubby")])
    async with marcus_app_factory(example_database, plugins=[plugin]) as h:
        assert "/stubby" in h.kernel.sio.namespace_handlers
    with pytest.raises(PluginError, match="not the plugin's"):
        load_plugins([make_plugin(manifest("thief"), register_socketio_namespaces=lambda: [Stub("/other")])])


class Waved(Event):
    name = "greeter.waved"
    notice = Notice(type="Greeting", title="Hello", message="A wave from {who}.")
    who: str


async def test_hook_register_event_types(example_database, tenant_factory, marcus_app_factory):
    plugin = make_plugin(manifest("greeter"), register_event_types=lambda: [Waved])
    org = await tenant_factory(database=example_database, plugins=["greeter"], installed=[plugin])
    async with marcus_app_factory(example_database, plugins=[plugin], worker=False) as h:
        assert h.kernel.events.types["greeter.waved"] is Waved
        async with h.kernel.db.tenant_transaction(org.id) as session:
            await publish(session, Waved(who="Ann"))
    with pytest.raises(PluginError, match="not namespaced"):
        load_plugins([make_plugin(manifest("other"), register_event_types=lambda: [Waved])])


async def test_hook_register_event_handlers(example_database, tenant_factory, marcus_app_factory):
    seen: list[str] = []

    async def on_wave(event: Waved, ctx: marcus.EventContext) -> None:
        seen.append(event.who)

    plugin = make_plugin(
        manifest("greeter"),
        register_event_types=lambda: [Waved],
        register_event_handlers=lambda: [marcus.EventHandler(event="greeter.waved", handler=on_wave)],
    )
    org = await tenant_factory(database=example_database, plugins=["greeter"], installed=[plugin])
    async with marcus_app_factory(example_database, plugins=[plugin], worker=False) as h:
        async with h.kernel.db.tenant_transaction(org.id) as session:
            await publish(session, Waved(who="Bo"))
        assert seen == []  # not before the relay runs, after commit
        while await relay_for(h.kernel).run_once():
            pass
    assert seen.count("Bo") == 1


async def test_hook_register_dashboard_widgets(example_database, tenant_factory, user_factory, marcus_app_factory):
    async def figures(session, tenant, grant):
        return {"waves": 3}

    plugin = make_plugin(
        manifest("greeter"),
        register_dashboard_widgets=lambda: [
            marcus.DashboardWidget(name="greeter.waves", title="Waves", loader=figures)
        ],
    )
    org = await tenant_factory(database=example_database, plugins=["greeter"], installed=[plugin])
    admin = await user_factory(org, database=example_database, role="admin")
    async with marcus_app_factory(example_database, plugins=[plugin]) as h:
        board = (await h.client.get("/api/v1/dashboard", headers=admin.headers)).json()
    assert board["stats"]["waves"] == 3


async def test_hook_register_jobs(example_database, tenant_factory, marcus_app_factory):
    runs: list[str] = []

    async def sweep(session, tenant):
        runs.append(tenant.slug)

    plugin = make_plugin(
        manifest("sweeper"), register_jobs=lambda: [marcus.Job(name="sweeper.sweep", every_seconds=60, run=sweep)]
    )
    org = await tenant_factory(database=example_database, plugins=["sweeper"], installed=[plugin])
    async with marcus_app_factory(example_database, plugins=[plugin], worker=False) as h:
        await JobRunner(h.kernel).run_due()
    assert org.slug in runs


def test_hook_register_pages():
    pages = marcus.PageSet(router=APIRouter(), menu=(marcus.MenuEntry(label="Waves", path="/waves"),))
    registry = load_plugins([make_plugin(manifest("portalish"), register_pages=lambda: pages)])
    assert registry.pages == [("portalish", pages)]
    with pytest.raises(PluginError, match="PageSet"):
        load_plugins([make_plugin(manifest("wrongpages"), register_pages=lambda: "pages")])


# --- lifecycle hooks -------------------------------------------------------------------------


async def test_hook_plugin_lifespan(example_database, marcus_app_factory):
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan():
        events.append("up")
        yield
        events.append("down")

    plugin = make_plugin(manifest("lively"), plugin_lifespan=lambda: lifespan())
    async with marcus_app_factory(example_database, plugins=[plugin]):
        assert events == ["up"]
    assert events == ["up", "down"]


async def test_hook_provision_tenant(example_database, example_plugin):
    async def provision(session, organization):
        await session.execute(
            text("INSERT INTO example_projects (organization_id, id, name) VALUES (:o, gen_random_uuid(), 'Welcome')"),
            {"o": organization.id},
        )

    async def refuse(session, organization):
        raise marcus.Invalid("no room for new workspaces")

    good = make_plugin(manifest("starter", depends_on=("example",)), provision_tenant=provision)
    registry = load_plugins([example_plugin, good])
    async with example_database.db.platform_session() as session, session.begin():
        org = await service.create_organization(
            session, registry, slug="hooks-provisioned", name="P", plugins={"example": {}, "starter": {}}
        )
    async with example_database.db.tenant_session(org.id) as session:
        assert (await session.execute(text("SELECT name FROM example_projects"))).scalars().all() == ["Welcome"]
    bad = load_plugins([example_plugin, make_plugin(manifest("refuser"), provision_tenant=refuse)])
    with pytest.raises(marcus.Invalid):
        async with example_database.db.platform_session() as session, session.begin():
            await service.create_organization(session, bad, slug="hooks-refused", name="R", plugins={"refuser": {}})
    async with example_database.db.platform_session() as session:
        assert await session.scalar(select(Organization).where(Organization.slug == "hooks-refused")) is None


async def test_hook_purge_tenant_data(example_database, example_plugin, tenant_factory):
    purged: list[str] = []

    async def purge(session, organization):
        purged.append(organization.slug)

    plugin = make_plugin(manifest("janitor"), purge_tenant_data=purge)
    org = await tenant_factory(database=example_database, plugins=["example"])
    async with example_database.db.tenant_transaction(org.id) as session:
        await session.execute(
            text("INSERT INTO example_projects (organization_id, id, name) VALUES (:o, gen_random_uuid(), 'x')"),
            {"o": org.id},
        )
    registry = load_plugins([example_plugin, plugin])
    async with example_database.db.platform_session() as session, session.begin():
        await service.purge_organization(session, registry, await session.get(Organization, org.id))
    assert purged == [org.slug]
    async with example_database.db.platform_session() as session:
        left = (
            await session.execute(
                text("SELECT count(*) FROM example_projects WHERE organization_id = :o"), {"o": org.id}
            )
        ).scalar()
        assert left == 0
        assert await session.get(Organization, org.id) is None


# --- command hooks ---------------------------------------------------------------------------


async def test_hook_demo_data(example_database, example_plugin, tenant_factory, marcus_app_factory):
    from marcus.demo import run_demo

    async def sample(demo: marcus.DemoContext) -> list[str]:
        found = await demo.session.scalar(text("SELECT count(*) FROM example_projects WHERE name = 'Sample'"))
        if found:
            return []
        await demo.session.execute(
            text("INSERT INTO example_projects (organization_id, id, name) VALUES (:o, gen_random_uuid(), 'Sample')"),
            {"o": demo.tenant.id},
        )
        return [f"project Sample of {demo.customer.email}"]

    async def never(demo: marcus.DemoContext) -> list[str]:
        raise AssertionError("demo_data of a plugin the workspace did not enable")

    sampler = make_plugin(manifest("sampler", depends_on=("example",)), demo_data=sample)
    idle = make_plugin(manifest("idle"), demo_data=never)
    installed = [example_plugin, sampler, idle]
    org = await tenant_factory(database=example_database, plugins=["example", "sampler"], installed=installed)
    async with marcus_app_factory(example_database, plugins=installed, worker=False) as h:
        first = await run_demo(h.kernel, slug=org.slug)
        again = await run_demo(h.kernel, slug=org.slug)
    assert dict(first.created)["sampler"] == ["project Sample of demo-customer@example.com"]
    assert "idle" not in dict(first.created)
    assert not again.created_anything
    async with example_database.db.tenant_session(org.id) as session:
        assert (await session.execute(text("SELECT name FROM example_projects"))).scalars().all() == ["Sample"]


def test_hook_names_match_the_guide_order():
    guide = GUIDE.read_text()
    order = re.findall(r"### `([a-z_]+)`", guide[guide.index(START) :])
    assert order == hook_names()
