"""Which tenant a request is for: ``Host`` (subdomain of the base domain, or a custom domain),
then the ``X-Tenant`` header (a slug), then the default tenant.

Lookups go through the platform role (tenant resolution is a named cross-tenant job: the
tenant is not known yet) and are cached for ``tenant_cache_ttl`` seconds per key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from marcus.db.engine import Database
from marcus.errors import NotFound
from marcus.tenancy.models import ACTIVE

_LOOKUP = """
SELECT o.id, o.slug, o.name, o.status, o.settings,
       coalesce((SELECT jsonb_object_agg(p.plugin, p.settings) FROM organization_plugins p
                 WHERE p.organization_id = o.id AND p.enabled), '{}'::jsonb) AS plugins
FROM organizations o
"""
BY_SLUG = text(_LOOKUP + "WHERE o.slug = :key")
BY_ID = text(_LOOKUP + "WHERE o.id = CAST(:key AS uuid)")
BY_DOMAIN = text(_LOOKUP + "JOIN organization_domains d ON d.organization_id = o.id WHERE d.domain = :key")


@dataclass(frozen=True, kw_only=True)
class Tenant:
    """The resolved workspace of a request: identity, settings and enabled plugins."""

    id: uuid.UUID
    slug: str
    name: str
    status: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def has_plugin(self, name: str) -> bool:
        return name in self.plugins


class TenantNotFound(NotFound):
    code = "tenant_not_found"


class TenantResolver:
    """Resolves and caches tenants by host or slug."""

    def __init__(self, db: Database, *, base_domain: str, default_slug: str, ttl: float) -> None:
        self.db = db
        self.base_domain = base_domain.lower().strip(".")
        self.default_slug = default_slug
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Tenant | None]] = {}

    def invalidate(self) -> None:
        """Forget every cached tenant (after a workspace, its domains or its plugins change)."""
        self._cache.clear()

    async def resolve(self, host: str | None, header_slug: str | None) -> Tenant:
        """The active tenant for a request, or ``TenantNotFound`` (404) naming what was asked for."""
        hostname = (host or "").split(":", 1)[0].lower().strip(".")
        if hostname.endswith("." + self.base_domain):
            sub = hostname[: -len(self.base_domain) - 1]
            return self._active(await self._lookup("slug", sub), f"workspace '{sub}'")
        if hostname and hostname != self.base_domain and (tenant := await self._lookup("domain", hostname)):
            return self._active(tenant, f"domain '{hostname}'")
        slug = (header_slug or "").strip().lower() or self.default_slug
        return self._active(await self._lookup("slug", slug), f"workspace '{slug}'")

    async def by_slug(self, slug: str) -> Tenant:
        return self._active(await self._lookup("slug", slug), f"workspace '{slug}'")

    async def by_id(self, org_id: uuid.UUID) -> Tenant:
        """The workspace with this id, whatever its status (background work for a known tenant)."""
        tenant = await self._lookup("id", str(org_id))
        if tenant is None:
            raise TenantNotFound(f"No workspace with id {org_id}.")
        return tenant

    async def plugins_of(self, org_id: uuid.UUID) -> frozenset[str]:
        """The plugins ``org_id`` has enabled (empty for an unknown organization)."""
        tenant = await self._lookup("id", str(org_id))
        return frozenset(tenant.plugins) if tenant else frozenset()

    @staticmethod
    def _active(tenant: Tenant | None, what: str) -> Tenant:
        if tenant is None:
            raise TenantNotFound(f"No {what} exists here. Check the address or the X-Tenant header.")
        if tenant.status != ACTIVE:
            raise TenantNotFound(f"The {what} is {tenant.status}; contact the platform operator.")
        return tenant

    async def _lookup(self, kind: str, key: str) -> Tenant | None:
        now = time.monotonic()
        hit = self._cache.get((kind, key))
        if hit and hit[0] > now:
            return hit[1]
        query = {"slug": BY_SLUG, "domain": BY_DOMAIN, "id": BY_ID}[kind]
        async with self.db.platform_engine.connect() as conn:
            row = (await conn.execute(query, {"key": key})).mappings().first()
        tenant = Tenant(**row) if row else None
        self._cache[(kind, key)] = (now + self.ttl, tenant)
        return tenant
