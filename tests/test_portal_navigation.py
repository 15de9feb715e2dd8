"""The portal's navigation and plugin pages: menus follow permissions and enabled plugins, a
disabled plugin's pages answer 404, ``register_pages`` is validated at startup, plugin
templates are namespaced and cannot replace the layout, ``page_require`` guards pages."""

from __future__ import annotations

import re

import marcus_blog.plugin as blog_plugin
import marcus_services.plugin as services_plugin
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

import marcus
from marcus.plugins import PluginError
from marcus.testing import OrganizationFactory, make_plugin, portal_client, signed_in

NAV = re.compile(r'<nav class="main-nav".*?</nav>', re.S)


def gallery_plugin(templates):
    """An in-test plugin with a page, a staff-only page and menu entries."""
    router = APIRouter(prefix="/gallery")

    @router.get("", response_class=HTMLResponse)
    async def wall(request: Request, visitor: marcus.VisitorDep) -> HTMLResponse:
        return await marcus.render(request, "gallery/wall.html", {"pictures": ["Sunset", "<script>x</script>"]})

    @router.get("/admin", response_class=HTMLResponse)
    async def admin(
        request: Request, grant: marcus.Grant = marcus.page_require("gallery.picture:manage")
    ) -> HTMLResponse:
        return await marcus.render(request, "gallery/wall.html", {"pictures": [f"scope {grant.scope}"]})

    pages = marcus.PageSet(
        router=router,
        templates=templates,
        menu=(
            marcus.MenuEntry(label="Gallery", path="/gallery"),
            marcus.MenuEntry(label="Curate", path="/gallery/admin", permission="gallery.picture:manage"),
        ),
    )
    permission = marcus.Permission(name="gallery.picture:manage", description="Curate", grants={"staff": "any"})
    return make_plugin(
        marcus.PluginManifest(name="gallery", version="1"),
        register_pages=lambda: pages,
        register_permissions=lambda: [permission],
    )


@pytest.fixture(scope="module")
def gallery_templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gallery")
    (folder / "wall.html").write_text(
        '{% extends "portal/base.html" %}{% block title %}Gallery{% endblock %}'
        "{% block content %}<h1>Gallery</h1><ul>{% for p in pictures %}<li>{{ p }}</li>{% endfor %}</ul>{% endblock %}"
    )
    (folder / "portal").mkdir()
    (folder / "portal" / "base.html").write_text("HIJACKED")
    return folder


@pytest.fixture(scope="module")
def gallery(gallery_templates):
    return gallery_plugin(gallery_templates)


@pytest.fixture(scope="module")
async def nav_db(marcus_make_database, gallery):
    database = marcus_make_database([services_plugin, blog_plugin, gallery])
    yield database
    await database.dispose()


def menu(html: str) -> list[str]:
    found = NAV.search(html)
    return re.findall(r">([^<>]+)</a>", found.group(0)) if found else []


async def test_the_menu_follows_each_visitors_permissions(nav_db, tenant_factory, user_factory, marcus_app_factory):
    org = await tenant_factory(database=nav_db, plugins=["services", "blog", "gallery"])
    people = {role: await user_factory(org, database=nav_db, role=role) for role in ("customer", "staff", "admin")}
    async with marcus_app_factory(nav_db) as h:
        async with portal_client(h, org) as anonymous:
            menus = {"anonymous": menu((await anonymous.get("/")).text)}
        for role, user in people.items():
            async with signed_in(h, org, user) as client:
                menus[role] = menu((await client.get("/")).text)
    # Home, then the plugins' entries in plugin load order, then the kernel's staff pages.
    assert menus["anonymous"] == ["Home", "Blog", "Gallery", "Services"]
    assert menus["customer"] == ["Home", "Blog", "Gallery", "Services", "Dashboard"]
    assert menus["staff"] == ["Home", "Blog", "Gallery", "Curate", "Services", "Dashboard", "Users"]
    assert menus["admin"] == ["Home", "Blog", "Gallery", "Curate", "Services", "Dashboard", "Users", "Settings"]


async def test_disabled_plugins_leave_the_menu_and_their_pages_answer_404(
    nav_db, tenant_factory, user_factory, marcus_app_factory
):
    org = await tenant_factory(database=nav_db, plugins=["services"])
    admin = await user_factory(org, database=nav_db, role="admin")
    async with marcus_app_factory(nav_db) as h, signed_in(h, org, admin) as client:
        before = menu((await client.get("/")).text)
        blog = await client.get("/blog")
        gallery = await client.get("/gallery")
        form = {"name": org.name, "slogan": "", "language": "en", "time_zone": "UTC", "currency": "EUR"}
        saved = await client.submit("/settings", form | {"plugins": ["services", "gallery"]})
        after = menu((await client.get("/")).text)
        enabled = await client.get("/gallery")
    assert before == ["Home", "Services", "Dashboard", "Users", "Settings"]
    for page in (blog, gallery):
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "is not enabled for this workspace" in page.text
    assert saved.status_code == 303
    assert after == ["Home", "Gallery", "Curate", "Services", "Dashboard", "Users", "Settings"]
    assert enabled.status_code == 200


async def test_plugin_templates_are_namespaced_escaped_and_never_replace_the_layout(
    nav_db, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(
        database=nav_db,
        plugins=["gallery"],
        organization=OrganizationFactory.build(name="Picture House"),
    )
    async with marcus_app_factory(nav_db) as h, portal_client(h, org) as client:
        page = await client.get("/gallery")
    assert page.status_code == 200
    assert "HIJACKED" not in page.text
    assert "Picture House" in page.text  # the kernel's layout, with the workspace's name
    assert "<li>Sunset</li>" in page.text
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text


async def test_page_require_sends_anonymous_visitors_to_sign_in_and_refuses_others(
    nav_db, tenant_factory, user_factory, marcus_app_factory
):
    org = await tenant_factory(database=nav_db, plugins=["gallery"])
    customer = await user_factory(org, database=nav_db, role="customer")
    staff = await user_factory(org, database=nav_db, role="staff")
    async with marcus_app_factory(nav_db) as h:
        async with portal_client(h, org) as anonymous:
            redirected = await anonymous.get("/gallery/admin")
        async with signed_in(h, org, customer) as client:
            refused = await client.get("/gallery/admin")
            settings = await client.get("/settings")
        async with signed_in(h, org, staff) as client:
            allowed = await client.get("/gallery/admin")
    assert redirected.status_code == 303
    assert redirected.headers["location"] == "/login?next=%2Fgallery%2Fadmin"
    for page in (refused, settings):
        assert page.status_code == 403
        assert "Not allowed" in page.text
    assert allowed.status_code == 200
    assert "scope any" in allowed.text


def _pages_plugin(name: str, **pageset):
    return make_plugin(marcus.PluginManifest(name=name, version="1"), register_pages=lambda: marcus.PageSet(**pageset))


def _router(*paths: str) -> APIRouter:
    router = APIRouter()
    for path in paths:
        router.add_api_route(path, lambda: None)
    return router


@pytest.mark.parametrize(
    ("plugin", "problem"),
    [
        (_pages_plugin("shop", router=_router("/checkout")), "page route '/checkout' is not under /shop"),
        (_pages_plugin("shop", router=_router("/shopping")), "page route '/shopping' is not under /shop"),
        (
            _pages_plugin("shop", router=_router("/shop"), menu=(marcus.MenuEntry(label="X", path="/blog"),)),
            "does not link to its pages",
        ),
        (_pages_plugin("shop", router=_router("/shop"), templates="/no/such/folder"), "does not exist"),
        (_pages_plugin("settings", router=_router("/settings/x")), "would take the kernel's /settings"),
        (_pages_plugin("api", router=_router("/api/x")), "would take the kernel's /api"),
        (_pages_plugin("shop", router="not a router"), "give it a fastapi.APIRouter"),
        (
            _pages_plugin(
                "shop",
                router=_router("/shop"),
                menu=(marcus.MenuEntry(label="X", path="/shop", permission="shop.x:y"),),
            ),
            "undeclared 'shop.x:y'",
        ),
    ],
)
async def test_register_pages_is_validated_at_startup(plugin, problem, nav_db, marcus_app_factory):
    with pytest.raises(PluginError, match=re.escape(problem)):
        async with marcus_app_factory(nav_db, plugins=[plugin]):
            pass


async def test_page_require_with_an_undeclared_permission_refuses_startup(nav_db, marcus_app_factory):
    router = APIRouter(prefix="/typo")

    @router.get("")
    async def page(_: marcus.Grant = marcus.page_require("typo.thing:read")) -> None:
        return None

    plugin = _pages_plugin("typo", router=router)
    with pytest.raises(PluginError, match="undeclared permission 'typo.thing:read'"):
        async with marcus_app_factory(nav_db, plugins=[plugin]):
            pass
