"""Declarative tenant manifests: ``tenants/<slug>.toml`` files applied idempotently.

slug = "default"
name = "Marcus"
status = "active"            # or "suspended"
domains = ["book.example.com"]
owner_email = "owner@example.com"   # optional: who should own the workspace
[settings]                   # workspace settings (time zone, currency, ...)
time_zone = "Europe/Paris"
[plugins.appointments]       # each table enables one plugin, with its settings
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.db.engine import Database
from marcus.errors import Invalid
from marcus.plugins import PluginRegistry
from marcus.tenancy import service
from marcus.tenancy.models import ACTIVE, Organization

KNOWN_KEYS = {"slug", "name", "status", "domains", "owner_email", "settings", "plugins"}


@dataclass(frozen=True, kw_only=True)
class TenantManifest:
    """One parsed ``tenants/*.toml`` file."""

    path: Path
    digest: str = ""
    slug: str
    name: str
    status: str = ACTIVE
    domains: tuple[str, ...] = ()
    owner_email: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)


def tenants_dir(configured: Path | None) -> Path:
    """``MARCUS_TENANTS_DIR``, else ``tenants/`` of the checkout, else the copy in the wheel."""
    if configured is not None:
        return configured
    if Path("tenants").is_dir():
        return Path("tenants")
    return Path(__file__).resolve().parent.parent / "_tenants"


def read_manifest(path: Path) -> TenantManifest:
    """Parse one manifest, naming the file and key of anything wrong."""
    raw = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"{path}: not valid TOML ({exc})", code="invalid_manifest") from exc
    unknown = set(data) - KNOWN_KEYS
    if unknown or "slug" not in data or "name" not in data:
        problem = f"unknown keys {sorted(unknown)}" if unknown else "'slug' and 'name' are required"
        raise Invalid(f"{path}: {problem}", code="invalid_manifest")
    if path.stem != data["slug"]:
        raise Invalid(f"{path}: the file must be named after its slug ({data['slug']}.toml)", code="invalid_manifest")
    plugins = data.get("plugins", {})
    if not isinstance(plugins, dict) or not all(isinstance(v, dict) for v in plugins.values()):
        raise Invalid(f"{path}: [plugins.<name>] tables enable plugins", code="invalid_manifest")
    return TenantManifest(
        path=path,
        digest=hashlib.sha256(raw.encode()).hexdigest(),
        slug=data["slug"],
        name=data["name"],
        status=data.get("status", ACTIVE),
        domains=tuple(data.get("domains", ())),
        owner_email=data.get("owner_email"),
        settings=dict(data.get("settings", {})),
        plugins=plugins,
    )


def read_manifests(directory: Path) -> list[TenantManifest]:
    return [read_manifest(p) for p in sorted(directory.glob("*.toml"))]


async def apply_manifest(session: AsyncSession, registry: PluginRegistry, manifest: TenantManifest) -> str:
    """Create or update one workspace to match its manifest; returns what happened.

    A manifest is applied when it is new or its file changed since it was last applied: edits
    made through the API since then (settings, plugin toggles) are kept until the file changes.
    """
    org = await session.scalar(select(Organization).where(Organization.slug == manifest.slug))
    if org is not None and org.manifest_digest == manifest.digest:
        return f"unchanged {manifest.slug}"
    if org is None:
        org = await service.create_organization(
            session,
            registry,
            slug=manifest.slug,
            name=manifest.name,
            plugins=manifest.plugins,
            settings=manifest.settings,
            domains=manifest.domains,
        )
        await service.set_status(session, org, manifest.status)
        org.manifest_digest = manifest.digest
        return f"created {manifest.slug}"
    await service.bind(session, org.id)
    org.name = manifest.name
    org.settings = {**org.settings, **manifest.settings}
    await service.set_status(session, org, manifest.status)
    await service.set_domains(session, org, manifest.domains)
    enabled = await service.set_plugins(session, registry, org, manifest.plugins)
    org.manifest_digest = manifest.digest
    return f"updated {manifest.slug}" + (f" (enabled {', '.join(enabled)})" if enabled else "")


async def sync_tenants(db: Database, registry: PluginRegistry, directory: Path) -> list[str]:
    """Apply every manifest in ``directory``, each in its own platform transaction."""
    report = []
    for manifest in read_manifests(directory):
        async with db.platform_session() as session, session.begin():
            report.append(await apply_manifest(session, registry, manifest))
    return report
