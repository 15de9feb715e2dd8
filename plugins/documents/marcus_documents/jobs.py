"""The nightly orphan report: stored files under the workspace's documents prefix that no
document row refers to. Reported (log and activity feed), never deleted automatically."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus import Job, Tenant, TenantFiles, key_created_at, publish, session_storage
from marcus_documents.events import OrphansFound
from marcus_documents.models import DocumentFile

log = logging.getLogger("marcus_documents")
DAY = 24 * 3600
GRACE = timedelta(hours=1)  # an upload whose transaction has not committed yet is no orphan
REPORTED_KEYS = 100


async def find_orphans(session: AsyncSession, tenant: Tenant, *, now: datetime | None = None) -> list[str]:
    """Keys stored for this workspace's documents, older than ``GRACE``, without a row."""
    files = TenantFiles(session_storage(session), org_id=tenant.id, plugin="documents")
    stored = await files.list_keys()
    known = set(await session.scalars(select(DocumentFile.key).where(DocumentFile.organization_id == tenant.id)))
    cutoff = (now or datetime.now(UTC)) - GRACE
    return [key for key in stored if key not in known and (key_created_at(key) or cutoff) <= cutoff]


async def report_orphans(session: AsyncSession, tenant: Tenant) -> None:
    """Log the orphans of this workspace and record them in its activity feed."""
    orphans = await find_orphans(session, tenant)
    if not orphans:
        return
    log.warning("workspace %s: %d stored document files have no document", tenant.slug, len(orphans))
    await publish(session, OrphansFound(count=len(orphans), keys=orphans[:REPORTED_KEYS]))


JOBS = [Job(name="documents.orphans", every_seconds=DAY, run=report_orphans)]
