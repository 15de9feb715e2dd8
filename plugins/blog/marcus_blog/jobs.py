"""``blog.publish_due``: every minute, per workspace with the blog enabled, publish the
scheduled posts whose time has come (each announced once, see ``service.publish_due``)."""

from __future__ import annotations

from marcus_blog import service
from sqlalchemy.ext.asyncio import AsyncSession

from marcus import Job, Tenant


async def publish_due(session: AsyncSession, tenant: Tenant) -> None:
    """Run by the kernel's job runner in a transaction bound to ``tenant``."""
    await service.publish_due(session, org_id=tenant.id)


JOBS = [Job(name="blog.publish_due", every_seconds=60, run=publish_due)]
