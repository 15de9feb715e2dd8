"""Reading and changing a workspace's settings, in the request's tenant session.

Changes lock the organization row (concurrent edits apply one after the other), publish a
kernel event recorded in the activity feed, commit, then drop the tenant cache so the new
values, and plugin toggles, apply to the very next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.errors import Invalid, NotFound
from marcus.events.bus import publish
from marcus.kernel import Kernel
from marcus.plugins import PluginRegistry
from marcus.settings import logos
from marcus.settings.events import PluginsUpdated, SettingsUpdated
from marcus.settings.schemas import PluginRead, WorkspaceSettingsRead, WorkspaceSettingsUpdate
from marcus.settings.workspace import LOGO_KEY, from_values
from marcus.storage import Download, save_image, workspace_files
from marcus.storage.keys import KERNEL
from marcus.tenancy.models import Organization, OrganizationPlugin
from marcus.tenancy.service import set_plugins

SETTING_FIELDS = ("slogan", "language", "time_zone", "currency")


async def _organization(session: AsyncSession, org_id: uuid.UUID, *, lock: bool = False) -> Organization:
    query = select(Organization).where(Organization.id == org_id)
    org = await session.scalar(query.with_for_update() if lock else query)
    if org is None:  # the request's own workspace is always visible to its session
        raise NotFound("No such workspace.", code="tenant_not_found")
    return org


async def _plugin_rows(session: AsyncSession, org_id: uuid.UUID) -> dict[str, OrganizationPlugin]:
    rows = await session.scalars(select(OrganizationPlugin).where(OrganizationPlugin.organization_id == org_id))
    return {row.plugin: row for row in rows}


def _enabled(rows: Mapping[str, OrganizationPlugin], registry: PluginRegistry) -> list[str]:
    return [name for name in registry.names if name in rows and rows[name].enabled]


async def read_settings(session: AsyncSession, kernel: Kernel, *, org_id: uuid.UUID) -> WorkspaceSettingsRead:
    """The workspace's public settings and its enabled (installed) plugins."""
    org = await _organization(session, org_id)
    plugins = _enabled(await _plugin_rows(session, org_id), kernel.plugins)
    return WorkspaceSettingsRead.of(org, from_values(org.name, org.settings), plugins)


async def list_plugins(session: AsyncSession, kernel: Kernel, *, org_id: uuid.UUID) -> list[PluginRead]:
    """Every installed plugin, with whether this workspace enabled it."""
    enabled = set(_enabled(await _plugin_rows(session, org_id), kernel.plugins))
    return [
        PluginRead(
            name=p.name,
            version=p.manifest.version,
            description=p.manifest.description,
            depends_on=list(p.manifest.depends_on),
            enabled=p.name in enabled,
        )
        for p in kernel.plugins.plugins.values()
    ]


def _apply_fields(org: Organization, data: WorkspaceSettingsUpdate) -> list[str]:
    """Set the sent fields on ``org``; returns the names of those that really changed."""
    sent = data.model_dump(exclude_unset=True, exclude={"plugins"})
    changed = sorted(
        name for name, value in sent.items() if value != (org.name if name == "name" else org.settings.get(name))
    )
    if "name" in changed:
        org.name = sent["name"]
    updates = {name: sent[name] for name in changed if name in SETTING_FIELDS}
    if updates:
        org.settings = {**org.settings, **updates}  # a new dict: JSONB changes are tracked by assignment
    return changed


def _check_dependencies(registry: PluginRegistry, wanted: set[str], toggles: Mapping[str, bool]) -> None:
    errors = []
    for name in sorted(wanted):
        for needed in registry.plugins[name].manifest.depends_on:
            if needed not in wanted:
                field = f"plugins.{needed}" if needed in toggles else f"plugins.{name}"
                errors.append({"field": field, "message": f"'{name}' needs '{needed}' enabled"})
    if errors:
        detail = "; ".join(e["message"] for e in errors)
        raise Invalid(f"Plugin dependencies: {detail}.", code="plugin_dependency_disabled", errors=errors)


async def _apply_plugins(
    session: AsyncSession, registry: PluginRegistry, org: Organization, toggles: Mapping[str, bool]
) -> tuple[list[str], list[str]]:
    """Enable / disable installed plugins (provisioning newly enabled ones); (enabled, disabled)."""
    unknown = sorted(name for name in toggles if name not in registry.plugins)
    if unknown:
        raise Invalid(
            f"Not installed: {', '.join(unknown)} (installed: {', '.join(registry.names) or 'none'}).",
            code="unknown_plugin",
            errors=[{"field": f"plugins.{name}", "message": "not an installed plugin"} for name in unknown],
        )
    rows = await _plugin_rows(session, org.id)
    current = set(_enabled(rows, registry))
    wanted = (current | {n for n, on in toggles.items() if on}) - {n for n, on in toggles.items() if not on}
    if wanted == current:
        return [], []
    _check_dependencies(registry, wanted, toggles)
    settings: dict[str, Mapping[str, Any]] = {name: rows[name].settings if name in rows else {} for name in wanted}
    await set_plugins(session, registry, org, settings)
    return sorted(wanted - current), sorted(current - wanted)


async def update_settings(
    session: AsyncSession, kernel: Kernel, *, org_id: uuid.UUID, actor_id: uuid.UUID, data: WorkspaceSettingsUpdate
) -> WorkspaceSettingsRead:
    """Apply the sent fields and plugin toggles in one transaction; each kind of change is one event."""
    org = await _organization(session, org_id, lock=True)
    changed = _apply_fields(org, data)
    enabled, disabled = await _apply_plugins(session, kernel.plugins, org, data.plugins or {})
    if changed:
        await publish(session, SettingsUpdated(entity_id=org.id, changes=", ".join(changed)), actor_id=actor_id)
    if enabled or disabled:
        event = PluginsUpdated(
            entity_id=org.id, enabled=", ".join(enabled) or "none", disabled=", ".join(disabled) or "none"
        )
        await publish(session, event, actor_id=actor_id)
    result = await read_settings(session, kernel, org_id=org_id)
    await session.commit()
    kernel.tenants.invalidate()
    return result


async def replace_logo(
    session: AsyncSession, kernel: Kernel, *, org_id: uuid.UUID, actor_id: uuid.UUID, upload: UploadFile | None
) -> WorkspaceSettingsRead:
    """Store ``upload`` as the logo (None removes it): the new file is removed if the change does
    not commit, the old one after it did (``events.remove_old_logo``, through the outbox)."""
    files = workspace_files(kernel, await kernel.tenants.by_id(org_id), KERNEL)
    async with files.staging(session) as stage:
        stored = await save_image(stage, upload, name=logos.NAME, max_bytes=logos.MAX_BYTES) if upload else None
        key = stored.key if stored else None
        org = await _organization(session, org_id, lock=True)
        old = org.settings.get(LOGO_KEY)
        if old != key:
            org.settings = {k: v for k, v in org.settings.items() if k != LOGO_KEY} | ({LOGO_KEY: key} if key else {})
            event = SettingsUpdated(entity_id=org.id, changes="logo", old_logo_key=old)
            await publish(session, event, actor_id=actor_id)
        result = await read_settings(session, kernel, org_id=org_id)
        await session.commit()
    kernel.tenants.invalidate()
    return result


async def open_logo(session: AsyncSession, kernel: Kernel, *, org_id: uuid.UUID) -> Download:
    """The workspace's stored logo; 404 when it has none."""
    org = await _organization(session, org_id)
    logo = org.settings.get(LOGO_KEY)
    return await logos.open_logo(logos.logo_files(kernel.storage, org_id), str(logo) if logo else None)
