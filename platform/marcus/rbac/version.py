"""The per-tenant policy version: bumped in the transaction of every policy change, read by
each replica to know whether its cached copy of the tenant's policy is still current.

A trigger (migration ``kernel_0003``) bumps it on any write to ``role_assignments`` or
``custom_roles``, whatever the path. The rbac service also bumps it first thing, which locks the
tenant's policy until commit (serializing checks such as "not the last owner") and records
``{org_id: version}`` in ``session.info``: after the commit the enforcer that owns the
session's engine drops its cached copy at once and tells the other replicas (Redis).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.db.base import new_id

CHANGED_KEY = "marcus.rbac.changed"

_BUMP = text("""
INSERT INTO rbac_policy_versions AS v (organization_id, id, version) VALUES (:org, :id, 1)
ON CONFLICT (organization_id) DO UPDATE SET version = v.version + 1, updated_at = now()
RETURNING v.version
""")

# One statement, one snapshot: the version and the rows it describes always match. When the
# caller already holds ``known``, only the version comes back (the subqueries are not run).
_LOAD = text("""
WITH v AS (SELECT coalesce((SELECT version FROM rbac_policy_versions WHERE organization_id = :org), 0) AS version)
SELECT v.version,
  CASE WHEN v.version = :known THEN NULL ELSE (
    SELECT coalesce(jsonb_agg(jsonb_build_array(user_id, role)), '[]'::jsonb)
    FROM role_assignments WHERE organization_id = :org) END AS assignments,
  CASE WHEN v.version = :known THEN NULL ELSE (
    SELECT coalesce(jsonb_object_agg(name, permissions), '{}'::jsonb)
    FROM custom_roles WHERE organization_id = :org) END AS custom_roles
FROM v
""")

# Cross-tenant (platform role): the versions of every tenant a replica holds, in one query.
_VERSIONS = text("SELECT organization_id, version FROM rbac_policy_versions WHERE organization_id = ANY(:orgs)")


@dataclass(frozen=True, kw_only=True)
class TenantPolicy:
    """A tenant's policy rows at ``version``; ``None`` rows mean "unchanged since ``known``"."""

    version: int
    assignments: list[tuple[str, str]] | None
    custom_roles: dict[str, dict[str, Any]] | None


async def bump_version(session: AsyncSession, org_id: uuid.UUID) -> int:
    """Bump ``org_id``'s policy version (locking it until commit) and note it for after commit."""
    version = int((await session.execute(_BUMP, {"org": org_id, "id": new_id()})).scalar_one())
    session.info.setdefault(CHANGED_KEY, {})[org_id] = version
    return version


async def load_policy(session: AsyncSession, org_id: uuid.UUID, *, known: int) -> TenantPolicy:
    """The tenant's version, and its assignments and custom roles unless ``known`` is current."""
    row = (await session.execute(_LOAD, {"org": org_id, "known": known})).one()
    assignments = None if row.assignments is None else [(str(u), str(r)) for u, r in row.assignments]
    return TenantPolicy(version=int(row.version), assignments=assignments, custom_roles=row.custom_roles)


async def versions_of(session: AsyncSession, org_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Current policy versions of ``org_ids`` (platform session); a missing row is version 0."""
    rows = (await session.execute(_VERSIONS, {"orgs": list(org_ids)})).all()
    found = {org: int(version) for org, version in rows}
    return {org: found.get(org, 0) for org in org_ids}
