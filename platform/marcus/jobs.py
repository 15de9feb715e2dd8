"""Scheduled jobs: each declared ``Job`` runs per workspace that enabled its plugin.

One row per (workspace, job) in ``job_schedules``. A runner claims due rows as the platform
role with ``FOR UPDATE SKIP LOCKED``, moves ``next_run_at`` on and takes a lease
(``locked_until``) in that same short transaction, then runs the job in a tenant transaction and
records the outcome. Several workers never run one job for one workspace at the same time;
a worker that dies mid-run leaves a lease that expires, and the job runs at its next due time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, Text, UniqueConstraint, or_, select, text
from sqlalchemy.orm import Mapped, mapped_column

from marcus.db.base import Base, TenantScoped
from marcus.declarations import Job

log = logging.getLogger("marcus.jobs")
LEASE = timedelta(minutes=10)
BATCH = 20

_SEED = text("""
INSERT INTO job_schedules (organization_id, id, job, next_run_at)
SELECT p.organization_id, gen_random_uuid(), :job, now()
FROM organization_plugins p WHERE p.plugin = :plugin AND p.enabled
ON CONFLICT (organization_id, job) DO NOTHING
""")


class JobSchedule(TenantScoped, Base):
    """When a job next runs for a workspace, and how its last run went."""

    __tablename__ = "job_schedules"
    __table_args__ = (UniqueConstraint("organization_id", "job"),)

    job: Mapped[str] = mapped_column(Text)
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class JobRunner:
    """Runs due jobs of the installed plugins; ``run_due`` once, ``run`` until stopped."""

    def __init__(self, kernel: Any, *, poll_interval: float = 1.0) -> None:
        self.kernel = kernel
        self.poll_interval = poll_interval
        self.jobs: dict[str, Job] = dict(kernel.plugins.jobs)

    async def run(self, stop: asyncio.Event) -> None:
        """Run due jobs until ``stop`` is set."""
        while not stop.is_set() and self.jobs:
            try:
                await self.run_due()
            except Exception:
                log.exception("job pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_interval)

    async def run_due(self) -> int:
        """Run every job that is due now (each at most once); returns how many ran."""
        await self._seed()
        ran = 0
        while claimed := await self._claim():
            for schedule_id, org_id, name in claimed:
                await self._run_one(schedule_id, org_id, self.jobs[name])
                ran += 1
        return ran

    async def _seed(self) -> None:
        async with self.kernel.db.platform_session() as session, session.begin():
            for name in self.jobs:
                await session.execute(_SEED, {"job": name, "plugin": name.split(".", 1)[0]})

    async def _claim(self) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
        now = datetime.now(UTC)
        async with self.kernel.db.platform_session() as session, session.begin():
            due = (
                select(JobSchedule)
                .where(
                    JobSchedule.job.in_(list(self.jobs)),
                    JobSchedule.next_run_at <= now,
                    or_(JobSchedule.locked_until.is_(None), JobSchedule.locked_until < now),
                )
                .order_by(JobSchedule.next_run_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for row in await session.scalars(due):
                enabled = await self.kernel.tenants.plugins_of(row.organization_id)
                row.next_run_at = now + timedelta(seconds=self.jobs[row.job].every_seconds)
                if row.job.split(".", 1)[0] not in enabled:
                    continue  # disabled since: skip this period without running
                row.locked_until, row.last_started_at = now + LEASE, now
                claimed.append((row.id, row.organization_id, row.job))
        return claimed

    async def _run_one(self, schedule_id: uuid.UUID, org_id: uuid.UUID, job: Job) -> None:
        error: str | None = None
        try:
            tenant = await self.kernel.tenants.by_id(org_id)
            async with self.kernel.db.tenant_transaction(org_id) as session:
                await job.run(session, tenant)
        except Exception as exc:
            log.exception("job %s failed for workspace %s", job.name, org_id)
            error = f"{type(exc).__name__}: {exc}"[:2000]
        async with self.kernel.db.platform_session() as session, session.begin():
            row = await session.get(JobSchedule, {"organization_id": org_id, "id": schedule_id})
            if row is not None:
                row.locked_until, row.last_finished_at, row.last_error = None, datetime.now(UTC), error
                row.runs += 1
