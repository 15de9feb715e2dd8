"""Tenant resolution (Host subdomain, custom domain, X-Tenant, default) and tenant manifests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from marcus.errors import Conflict, Invalid
from marcus.plugins import load_plugins
from marcus.tenancy import service
from marcus.tenancy.manifests import read_manifest, sync_tenants
from marcus.tenancy.models import Organization, OrganizationDomain, OrganizationPlugin


async def _list_as(h, **headers):
    return await h.client.get("/api/v1/example/projects", headers=headers)


async def test_host_subdomain_custom_domain_header_and_default(example_database, tenant_factory, marcus_app_factory):
    org = await tenant_factory(database=example_database, plugins=["example"], domains=["book.clinic-example.com"])
    async with marcus_app_factory(example_database, base_domain="marcus.test") as h:
        await h.client.post("/api/v1/example/projects", json={"name": "Mine"}, headers={"X-Tenant": org.slug})
        for headers in (
            {"Host": f"{org.slug}.marcus.test"},
            {"Host": f"{org.slug}.marcus.test:8443"},
            {"Host": "Book.Clinic-Example.com"},
            {"Host": "marcus.test", "X-Tenant": org.slug},
        ):
            response = await _list_as(h, **headers)
            assert response.status_code == 200, (headers, response.text)
            assert [p["name"] for p in response.json()] == ["Mine"]


async def test_unknown_workspace_is_a_clear_404(example_database, marcus_app_factory):
    async with marcus_app_factory(example_database, base_domain="marcus.test") as h:
        for headers, needle in (
            ({"Host": "nobody.marcus.test"}, "workspace 'nobody'"),
            ({"X-Tenant": "nobody-here"}, "workspace 'nobody-here'"),
        ):
            response = await _list_as(h, **headers)
            assert response.status_code == 404
            body = response.json()
            assert body["code"] == "tenant_not_found"
            assert needle in body["detail"]


async def test_suspended_workspace_is_404(example_database, tenant_factory, marcus_app_factory):
    org = await tenant_factory(database=example_database, plugins=["example"])
    async with example_database.db.platform_session() as session, session.begin():
        row = await session.get(Organization, org.id)
        await service.set_status(session, row, "suspended")
    async with marcus_app_factory(example_database) as h:
        response = await _list_as(h, **{"X-Tenant": org.slug})
        assert response.status_code == 404
        assert "suspended" in response.json()["detail"]


async def test_resolution_is_cached_for_the_ttl(example_database, tenant_factory, marcus_app_factory):
    org = await tenant_factory(database=example_database, plugins=["example"])
    async with marcus_app_factory(example_database, tenant_cache_ttl=60.0) as h:
        assert (await _list_as(h, **{"X-Tenant": org.slug})).status_code == 200
        async with example_database.db.platform_session() as session, session.begin():
            await service.set_status(session, await session.get(Organization, org.id), "suspended")
        assert (await _list_as(h, **{"X-Tenant": org.slug})).status_code == 200  # cached
        h.kernel.tenants.invalidate()
        assert (await _list_as(h, **{"X-Tenant": org.slug})).status_code == 404


@pytest.mark.parametrize("slug", ["ab", "-abc", "abc-", "ABC", "a_b_c", "www", "api", "x" * 64])
def test_bad_slugs_are_refused(slug):
    with pytest.raises(Invalid):
        service.check_slug(slug)


async def test_duplicate_slug_and_taken_domain_conflict(example_database, tenant_factory, example_plugin):
    org = await tenant_factory(database=example_database, domains=["taken-example.org"])
    registry = load_plugins([example_plugin])
    async with example_database.db.platform_session() as session, session.begin():
        with pytest.raises(Conflict, match="slug"):
            await service.create_organization(session, registry, slug=org.slug, name="again")
    async with example_database.db.platform_session() as session, session.begin():
        with pytest.raises(Conflict, match="taken-example.org"):
            await service.create_organization(
                session, registry, slug="other-one", name="x", domains=["taken-example.org"]
            )
    async with example_database.db.platform_session() as session, session.begin():
        with pytest.raises(Invalid, match="not installed"):
            await service.create_organization(session, registry, slug="third-one", name="x", plugins={"ghost": {}})


def write(directory: Path, slug: str, body: str) -> Path:
    path = directory / f"{slug}.toml"
    path.write_text(body)
    return path


async def test_manifest_sync_is_idempotent_and_applies_changes(example_database, example_plugin, tmp_path):
    registry = load_plugins([example_plugin])
    write(
        tmp_path,
        "acme-clinic",
        'slug = "acme-clinic"\nname = "Acme Clinic"\ndomains = ["acme-clinic.example.com"]\n'
        '[settings]\ntime_zone = "Europe/Paris"\n[plugins.example]\n',
    )
    first = await sync_tenants(example_database.db, registry, tmp_path)
    second = await sync_tenants(example_database.db, registry, tmp_path)
    assert first == ["created acme-clinic"]
    assert second == ["unchanged acme-clinic"]  # the file did not change: API edits are kept
    async with example_database.db.platform_session() as session:
        orgs = (await session.scalars(select(Organization).where(Organization.slug == "acme-clinic"))).all()
        assert len(orgs) == 1
        assert orgs[0].settings["time_zone"] == "Europe/Paris"
        domains = (
            await session.scalars(
                select(OrganizationDomain.domain).where(OrganizationDomain.organization_id == orgs[0].id)
            )
        ).all()
        assert domains == ["acme-clinic.example.com"]
        plugins = (
            await session.execute(
                select(OrganizationPlugin.plugin, OrganizationPlugin.enabled).where(
                    OrganizationPlugin.organization_id == orgs[0].id
                )
            )
        ).all()
        assert plugins == [("example", True)]

    write(tmp_path, "acme-clinic", 'slug = "acme-clinic"\nname = "Acme Health"\nstatus = "suspended"\n')
    await sync_tenants(example_database.db, registry, tmp_path)
    async with example_database.db.platform_session() as session:
        org = await session.scalar(select(Organization).where(Organization.slug == "acme-clinic"))
        assert (org.name, org.status) == ("Acme Health", "suspended")
        enabled = (
            await session.scalars(
                select(OrganizationPlugin.enabled).where(OrganizationPlugin.organization_id == org.id)
            )
        ).all()
        assert enabled == [False]
        assert (
            await session.scalars(select(OrganizationDomain).where(OrganizationDomain.organization_id == org.id))
        ).all() == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('slug = "wrong-name"\nname = "x"\n', "named after its slug"),
        ('slug = "bad-file"\n', "'slug' and 'name' are required"),
        ('slug = "bad-file"\nname = "x"\ncolour = "red"\n', "unknown keys ['colour']"),
        ('slug = "bad-file"\nname = \n', "not valid TOML"),
        ('slug = "bad-file"\nname = "x"\nplugins = ["example"]\n', "[plugins.<name>]"),
    ],
)
def test_invalid_manifests_name_file_and_problem(tmp_path, body, needle):
    path = write(tmp_path, "bad-file", body)
    with pytest.raises(Invalid) as caught:
        read_manifest(path)
    assert str(path) in caught.value.detail
    assert needle in caught.value.detail


def test_default_manifest_is_valid():
    manifest = read_manifest(Path(__file__).parents[1] / "tenants" / "default.toml")
    assert manifest.slug == "default"


async def test_api_edits_survive_a_resync_of_an_unchanged_manifest(example_database, example_plugin, tmp_path):
    registry = load_plugins([example_plugin])
    write(tmp_path, "kept-edits", 'slug = "kept-edits"\nname = "Kept"\n[settings]\ntime_zone = "UTC"\n')
    await sync_tenants(example_database.db, registry, tmp_path)
    async with example_database.db.platform_session() as session, session.begin():
        org = await session.scalar(select(Organization).where(Organization.slug == "kept-edits"))
        org.settings = {**org.settings, "time_zone": "Europe/Berlin"}  # as PATCH /api/v1/settings would
    assert await sync_tenants(example_database.db, registry, tmp_path) == ["unchanged kept-edits"]
    async with example_database.db.platform_session() as session:
        org = await session.scalar(select(Organization).where(Organization.slug == "kept-edits"))
        assert org.settings["time_zone"] == "Europe/Berlin"
