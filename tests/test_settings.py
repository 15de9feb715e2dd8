"""Workspace settings: public reading, validated changes by settings managers only, plugin
toggles that gate the plugin at once, the logo, and activity entries for every change."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

import marcus
from marcus.tenancy.models import Organization
from marcus.testing import OrganizationFactory, make_plugin, relay_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
provisioned: list[tuple[str, str]] = []


class Pong(BaseModel):
    plugin: str


def _router(name: str) -> APIRouter:
    router = APIRouter()

    @router.get("/ping", response_model=Pong)
    async def ping() -> Pong:
        """Answer when enabled."""
        return Pong(plugin=name)

    return router


async def _provision(session, organization) -> None:
    provisioned.append(("crm", organization.slug))


crm = make_plugin(
    marcus.PluginManifest(name="crm", version="1.2", description="Contacts"),
    register_routers=lambda: _router("crm"),
    provision_tenant=_provision,
)
crmextra = make_plugin(
    marcus.PluginManifest(name="crmextra", version="1", depends_on=("crm",)),
    register_routers=lambda: _router("crmextra"),
)


@pytest.fixture(scope="module")
async def settings_db(marcus_make_database):
    database = marcus_make_database([crm, crmextra])
    yield database
    await database.dispose()


@pytest.fixture
async def workspace(settings_db, tenant_factory, user_factory):
    org = await tenant_factory(
        database=settings_db,
        plugins=["crm"],
        organization=OrganizationFactory.build(settings={"currency": "EUR", "login_otp": False, "theme": "dark"}),
    )
    roles = ("owner", "admin", "staff", "customer")
    users = {role: await user_factory(org, database=settings_db, role=role) for role in roles}
    return org, users


@pytest.fixture
def app(settings_db, marcus_app_factory):
    def start(**settings):
        return marcus_app_factory(settings_db, worker=False, **settings)

    return start


async def deliver(h) -> None:
    while await relay_for(h.kernel).run_once():
        pass


async def test_anyone_reads_the_public_settings(workspace, app):
    org, _ = workspace
    async with app() as h:
        response = await h.client.get("/api/v1/settings", headers={"X-Tenant": org.slug})
    assert response.status_code == 200
    assert response.json() == {
        "name": org.name,
        "slogan": "",
        "language": "en",
        "time_zone": "UTC",
        "currency": "EUR",
        "logo_url": None,
        "plugins": ["crm"],
    }


async def test_only_settings_managers_change_settings(workspace, app):
    org, users = workspace
    async with app() as h:
        anonymous = await h.client.patch("/api/v1/settings", json={"slogan": "x"}, headers={"X-Tenant": org.slug})
        assert anonymous.status_code == 401
        for role in ("staff", "customer"):
            denied = await h.client.patch("/api/v1/settings", json={"slogan": "x"}, headers=users[role].headers)
            assert denied.status_code == 403
            assert (await h.client.get("/api/v1/settings/plugins", headers=users[role].headers)).status_code == 403
            logo = await h.client.put(
                "/api/v1/settings/logo", files={"file": ("l.png", PNG, "image/png")}, headers=users[role].headers
            )
            assert logo.status_code == 403
        assert (await h.client.delete("/api/v1/settings/logo", headers={"X-Tenant": org.slug})).status_code == 401
        for role in ("owner", "admin"):
            done = await h.client.patch("/api/v1/settings", json={"slogan": role}, headers=users[role].headers)
            assert done.status_code == 200
            assert done.json()["slogan"] == role


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "body.time_zone"),
        ({"time_zone": "../../etc/passwd"}, "body.time_zone"),
        ({"time_zone": ""}, "body.time_zone"),
        ({"currency": "XYZ"}, "body.currency"),
        ({"currency": "EURO"}, "body.currency"),
        ({"currency": "XAU"}, "body.currency"),
        ({"language": "english"}, "body.language"),
        ({"language": "en US"}, "body.language"),
        ({"language": "e"}, "body.language"),
        ({"name": ""}, "body.name"),
        ({"name": None}, "body.name"),
        ({"slogan": "x" * 301}, "body.slogan"),
        ({"logo": "http://evil.example/x.png"}, "body.logo"),
        ({"plugins": {"crm": "perhaps"}}, "body.plugins.crm"),
        ({"plugins": {"Bad Name": True}}, "body.plugins.Bad Name.[key]"),
        ({"plugins": {"nope": True}}, "plugins.nope"),
    ],
)
async def test_invalid_settings_are_422_naming_the_field(workspace, app, body, field):
    org, users = workspace
    async with app() as h:
        response = await h.client.patch("/api/v1/settings", json=body, headers=users["admin"].headers)
        after = (await h.client.get("/api/v1/settings", headers={"X-Tenant": org.slug})).json()
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (after["time_zone"], after["currency"], after["language"], after["plugins"]) == ("UTC", "EUR", "en", ["crm"])


async def test_values_are_stored_in_their_canonical_spelling(workspace, app, settings_db):
    org, users = workspace
    body = {"name": "  Clinic Nord ", "time_zone": "europe/paris", "currency": "chf", "language": "zh_hant_tw"}
    async with app() as h:
        response = await h.client.patch("/api/v1/settings", json=body, headers=users["admin"].headers)
        assert response.status_code == 200, response.text
        assert {k: response.json()[k] for k in ("name", "time_zone", "currency", "language")} == {
            "name": "Clinic Nord",
            "time_zone": "Europe/Paris",
            "currency": "CHF",
            "language": "zh-Hant-TW",
        }
        for tag, canonical in (("es-419", "es-419"), ("PT-br", "pt-BR"), ("de-CH-1996", "de-CH-1996")):
            again = await h.client.patch("/api/v1/settings", json={"language": tag}, headers=users["admin"].headers)
            assert again.json()["language"] == canonical
    async with settings_db.db.platform_session() as session:
        stored = await session.scalar(select(Organization).where(Organization.id == org.id))
    assert stored is not None
    assert stored.name == "Clinic Nord"
    assert stored.settings["login_otp"] is False  # keys the API does not edit are kept
    assert stored.settings["theme"] == "dark"
    assert stored.settings["time_zone"] == "Europe/Paris"


async def test_settings_belong_to_one_workspace(workspace, tenant_factory, settings_db, app):
    _, users = workspace
    other = await tenant_factory(database=settings_db, plugins=["crm"])
    async with app() as h:
        await h.client.patch("/api/v1/settings", json={"currency": "USD"}, headers=users["admin"].headers)
        theirs = (await h.client.get("/api/v1/settings", headers={"X-Tenant": other.slug})).json()
        assert theirs["currency"] == "EUR"
        foreign = {**users["admin"].headers, "X-Tenant": other.slug}
        assert (await h.client.patch("/api/v1/settings", json={"currency": "GBP"}, headers=foreign)).status_code == 401


async def test_toggling_a_plugin_gates_its_routes_at_once(workspace, app):
    org, users = workspace
    admin = users["admin"].headers
    provisioned.clear()
    async with app(tenant_cache_ttl=60.0) as h:  # cached tenants: the toggle must invalidate them
        assert (await h.client.get("/api/v1/crm/ping", headers=admin)).status_code == 200
        off = await h.client.patch("/api/v1/settings", json={"plugins": {"crm": False}}, headers=admin)
        assert off.status_code == 200, off.text
        assert off.json()["plugins"] == []
        gone = await h.client.get("/api/v1/crm/ping", headers=admin)
        assert gone.status_code == 404
        assert gone.json()["code"] == "plugin_not_enabled"
        both = await h.client.patch(
            "/api/v1/settings", json={"plugins": {"crm": True, "crmextra": True}}, headers=admin
        )
        assert both.json()["plugins"] == ["crm", "crmextra"]
        assert (await h.client.get("/api/v1/crmextra/ping", headers=admin)).json() == {"plugin": "crmextra"}
        assert provisioned == [("crm", org.slug)]  # enabling again provisions again
        listed = (await h.client.get("/api/v1/settings/plugins", headers=admin)).json()
        assert listed == [
            {"name": "crm", "version": "1.2", "description": "Contacts", "depends_on": [], "enabled": True},
            {"name": "crmextra", "version": "1", "description": "", "depends_on": ["crm"], "enabled": True},
        ]


async def test_plugin_dependencies_are_checked_naming_the_plugin(workspace, app):
    _, users = workspace
    admin = users["admin"].headers
    async with app() as h:
        await h.client.patch("/api/v1/settings", json={"plugins": {"crmextra": True}}, headers=admin)
        needed = await h.client.patch("/api/v1/settings", json={"plugins": {"crm": False}}, headers=admin)
        assert needed.status_code == 422
        assert needed.json()["errors"] == [{"field": "plugins.crm", "message": "'crmextra' needs 'crm' enabled"}]
        await h.client.patch("/api/v1/settings", json={"plugins": {"crm": False, "crmextra": False}}, headers=admin)
        lone = await h.client.patch("/api/v1/settings", json={"plugins": {"crmextra": True}}, headers=admin)
        assert lone.status_code == 422
        assert lone.json()["errors"][0]["field"] == "plugins.crmextra"
        assert (await h.client.get("/api/v1/settings", headers=admin)).json()["plugins"] == []


async def test_changes_are_recorded_in_the_activity_feed_only(workspace, app):
    _, users = workspace
    admin = users["admin"]
    async with app() as h:
        body = {"currency": "USD", "time_zone": "America/New_York", "plugins": {"crm": False}}
        await h.client.patch("/api/v1/settings", json=body, headers=admin.headers)
        await h.client.patch("/api/v1/settings", json={"currency": "USD"}, headers=admin.headers)  # no change
        await deliver(h)
        feed = (await h.client.get("/api/v1/activities", headers=admin.headers)).json()["items"]
        assert sorted((a["event"], a["description"]) for a in feed) == [
            ("kernel.plugins_updated", "Enabled: none. Disabled: crm."),
            ("kernel.settings_updated", "Settings changed: currency, time_zone."),
        ]
        assert {a["actor_id"] for a in feed} == {str(admin.id)}
        assert (await h.client.get("/api/v1/notifications", headers=admin.headers)).json()["total"] == 0


async def test_logo_upload_serve_replace_and_remove(workspace, app, settings_db):
    org, users = workspace
    admin, public = users["admin"].headers, {"X-Tenant": org.slug}
    storage = Path(settings_db.settings.data_dir) / "storage" / "org" / str(org.id) / "kernel"
    async with app() as h:
        refused = await h.client.put(
            "/api/v1/settings/logo", files={"file": ("l.png", b"<svg/>", "image/png")}, headers=admin
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "file"
        assert (await h.client.get("/api/v1/settings/logo", headers=public)).status_code == 404
        first = await h.client.put("/api/v1/settings/logo", files={"file": ("l.png", PNG, "image/png")}, headers=admin)
        assert first.status_code == 200, first.text
        assert first.json()["logo_url"] == "/api/v1/settings/logo"
        served = await h.client.get("/api/v1/settings/logo", headers=public)
        assert (served.status_code, served.content, served.headers["content-type"]) == (200, PNG, "image/png")
        old = sorted(storage.rglob("logo.*"))
        assert len(old) == 1
        jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 32
        await h.client.put("/api/v1/settings/logo", files={"file": ("l.jpg", jpeg, "image/jpeg")}, headers=admin)
        await deliver(h)
        assert not old[0].exists()
        assert (await h.client.get("/api/v1/settings/logo", headers=public)).content == jpeg
        removed = await h.client.delete("/api/v1/settings/logo", headers=admin)
        assert removed.json()["logo_url"] is None
        await deliver(h)
        assert sorted(storage.rglob("logo.*")) == []
        assert (await h.client.get("/api/v1/settings/logo", headers=public)).status_code == 404
