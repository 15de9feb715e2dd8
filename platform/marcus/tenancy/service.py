"""Workspace operations: create (provision), configure plugins and domains, list.

These run as the platform role (a named cross-tenant job) in one transaction; plugin
``provision_tenant`` hooks run in that same transaction with the tenant bound, so a failing
hook leaves no half-made workspace.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.db.engine import BIND_SQL
from marcus.errors import Conflict, Invalid
from marcus.plugins import PluginRegistry
from marcus.tenancy.models import ACTIVE, SUSPENDED, Organization, OrganizationDomain, OrganizationPlugin

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
RESERVED_SLUGS = frozenset({"www", "api", "admin", "app", "static", "platform", "mail", "docs", "status", "marcus"})
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def check_slug(slug: str) -> str:
    """A workspace slug: lowercase letters, digits and dashes, 3-63 long, not reserved."""
    if not SLUG.match(slug):
        raise Invalid(
            "A slug is 3-63 lowercase letters, digits or dashes, not starting or ending with a dash.",
            code="invalid_slug",
            errors=[{"field": "slug", "message": "invalid slug"}],
        )
    if slug in RESERVED_SLUGS:
        raise Invalid(f"'{slug}' is reserved.", code="reserved_slug", errors=[{"field": "slug", "message": "reserved"}])
    return slug


async def bind(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Bind a platform session's current transaction to one tenant (for provisioning hooks)."""
    await session.execute(text(BIND_SQL.replace("%s", ":org")), {"org": str(org_id)})


def validate_plugin_settings(registry: PluginRegistry, plugin: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``settings`` against the plugin's settings model; unknown plugins are refused."""
    if plugin not in registry.plugins:
        installed = ", ".join(registry.names) or "none"
        raise Invalid(f"Plugin '{plugin}' is not installed (installed: {installed}).", code="unknown_plugin")
    model = registry.plugins[plugin].manifest.settings_model
    if model is None:
        return dict(settings)
    try:
        return model.model_validate(dict(settings)).model_dump(mode="json")
    except ValidationError as exc:
        errors = [{"field": f"{plugin}." + ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        raise Invalid(
            f"Invalid settings for plugin '{plugin}'.", code="invalid_plugin_settings", errors=errors
        ) from exc


async def create_organization(
    session: AsyncSession,
    registry: PluginRegistry,
    *,
    slug: str,
    name: str,
    plugins: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
    domains: Sequence[str] = (),
) -> Organization:
    """Provision a workspace in the session's transaction (platform session)."""
    check_slug(slug)
    if await session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken")
    org = Organization(slug=slug, name=name, status=ACTIVE, settings=dict(settings or {}))
    session.add(org)
    await session.flush()
    await bind(session, org.id)
    await set_domains(session, org, domains)
    await set_plugins(session, registry, org, plugins or {})
    return org


async def set_plugins(
    session: AsyncSession,
    registry: PluginRegistry,
    org: Organization,
    wanted: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """Enable exactly ``wanted`` (plugin -> settings) for ``org``; newly enabled plugins are provisioned."""
    validated = {name: validate_plugin_settings(registry, name, cfg) for name, cfg in wanted.items()}
    _require_dependencies(registry, set(validated))
    rows = {
        r.plugin: r
        for r in await session.scalars(select(OrganizationPlugin).where(OrganizationPlugin.organization_id == org.id))
    }
    newly = []
    for name, cfg in validated.items():
        row = rows.get(name)
        if row is None:
            session.add(OrganizationPlugin(organization_id=org.id, plugin=name, enabled=True, settings=cfg))
            newly.append(name)
        else:
            newly += [name] if not row.enabled else []
            row.enabled, row.settings = True, cfg
    for name, row in rows.items():
        if name not in validated:
            row.enabled = False
    await session.flush()
    await _provision(session, registry, org, newly)
    return newly


def _require_dependencies(registry: PluginRegistry, enabled: set[str]) -> None:
    for name in enabled:
        missing = [d for d in registry.plugins[name].manifest.depends_on if d not in enabled]
        if missing:
            raise Invalid(f"Plugin '{name}' needs {', '.join(missing)} enabled too.", code="plugin_dependency_disabled")


async def _provision(
    session: AsyncSession, registry: PluginRegistry, org: Organization, plugins: Sequence[str]
) -> None:
    wanted = set(plugins)
    for plugin, coroutine in registry.call("provision_tenant", session=session, organization=org):
        if plugin in wanted:
            await coroutine
        else:
            coroutine.close()


async def set_domains(session: AsyncSession, org: Organization, domains: Sequence[str]) -> None:
    """Make ``domains`` exactly the custom hosts of ``org`` (the first one is primary)."""
    clean = [d.strip().lower().rstrip(".") for d in domains]
    for domain in clean:
        if not DOMAIN.match(domain):
            raise Invalid(f"'{domain}' is not a valid host name.", code="invalid_domain")
    taken = await session.scalar(
        select(OrganizationDomain.domain).where(
            OrganizationDomain.domain.in_(clean), OrganizationDomain.organization_id != org.id
        )
    )
    if taken:
        raise Conflict(f"The domain '{taken}' already serves another workspace.", code="domain_taken")
    await session.execute(
        delete(OrganizationDomain).where(
            OrganizationDomain.organization_id == org.id, OrganizationDomain.domain.not_in(clean)
        )
    )
    existing = set(
        await session.scalars(select(OrganizationDomain.domain).where(OrganizationDomain.organization_id == org.id))
    )
    for i, domain in enumerate(clean):
        if domain not in existing:
            session.add(OrganizationDomain(organization_id=org.id, domain=domain, is_primary=i == 0))
    await session.flush()


async def set_status(session: AsyncSession, org: Organization, status: str) -> None:
    if status not in (ACTIVE, SUSPENDED):
        raise Invalid(f"Status must be '{ACTIVE}' or '{SUSPENDED}'.", code="invalid_status")
    org.status = status
    await session.flush()


async def purge_organization(session: AsyncSession, registry: PluginRegistry, org: Organization) -> None:
    """Remove a workspace and everything it owns, in the session's (platform) transaction.

    Each plugin's ``purge_tenant_data`` runs first with the tenant bound (to delete what the
    database cannot cascade to, such as stored files); then the organization row goes and every
    tenant row with it (``ON DELETE CASCADE``). A failing hook aborts the whole purge.
    """
    await bind(session, org.id)
    for _plugin, coroutine in registry.call("purge_tenant_data", session=session, organization=org):
        await coroutine
    await session.delete(org)
    await session.flush()
