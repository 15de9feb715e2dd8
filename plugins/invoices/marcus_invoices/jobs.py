"""``invoices.mark_overdue``: once a day, per workspace with invoices enabled, mark the unpaid
invoices past their due date (a local day of the workspace) as ``Overdue``, each exactly
once, and publish ``invoices.overdue`` for each (see ``lifecycle.mark_overdue``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus_invoices import lifecycle

DAY = 24 * 60 * 60


async def mark_overdue(session: AsyncSession, tenant: marcus.Tenant) -> None:
    """Run by the kernel's job runner in a transaction bound to ``tenant``."""
    await lifecycle.mark_overdue(session, tenant)


JOBS = [marcus.Job(name="invoices.mark_overdue", every_seconds=DAY, run=mark_overdue)]
