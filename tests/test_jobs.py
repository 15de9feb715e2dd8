"""Scheduled jobs: once per enabled workspace per period, whatever the number of runners."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

import marcus
from marcus.jobs import JobRunner, JobSchedule
from marcus.testing import make_plugin

calls: list[tuple[str, str]] = []


async def tick(session, tenant):
    await session.execute(text("SELECT pg_sleep(0.05)"))  # long enough for runners to overlap
    calls.append(("tick", tenant.slug))


async def broken(session, tenant):
    raise RuntimeError("job exploded")


clock = make_plugin(
    marcus.PluginManifest(name="clock", version="1"),
    register_jobs=lambda: [
        marcus.Job(name="clock.tick", every_seconds=3600, run=tick),
        marcus.Job(name="clock.broken", every_seconds=3600, run=broken),
    ],
)


@pytest.fixture(scope="module")
async def clock_db(marcus_make_database):
    database = marcus_make_database([clock])
    yield database
    await database.dispose()


async def test_jobs_run_once_per_enabled_workspace_across_runners(clock_db, tenant_factory, marcus_app_factory):
    calls.clear()
    on = [await tenant_factory(database=clock_db, plugins=["clock"]) for _ in range(3)]
    off = await tenant_factory(database=clock_db)
    async with marcus_app_factory(clock_db, worker=False) as h:
        runners = [JobRunner(h.kernel) for _ in range(3)]
        await asyncio.gather(*(r.run_due() for r in runners))
        assert sorted(slug for _, slug in calls) == sorted(o.slug for o in on)
        assert off.slug not in {slug for _, slug in calls}
        assert await runners[0].run_due() == 0  # not due again for an hour
        async with clock_db.db.platform_session() as session:
            rows = (await session.scalars(select(JobSchedule).where(JobSchedule.job == "clock.broken"))).all()
        assert {r.runs for r in rows} == {1}
        assert all("job exploded" in r.last_error for r in rows)
        assert all(r.locked_until is None for r in rows)


async def test_a_job_becomes_due_again_after_its_period(clock_db, tenant_factory, marcus_app_factory):
    calls.clear()
    org = await tenant_factory(database=clock_db, plugins=["clock"])
    async with marcus_app_factory(clock_db, worker=False) as h:
        runner = JobRunner(h.kernel)
        await runner.run_due()
        async with clock_db.db.platform_session() as session, session.begin():
            await session.execute(
                text("UPDATE job_schedules SET next_run_at = now() WHERE organization_id = :o AND job = 'clock.tick'"),
                {"o": org.id},
            )
        await runner.run_due()
    assert [slug for _, slug in calls].count(org.slug) == 2


async def test_the_worker_runs_due_jobs_in_the_background(clock_db, tenant_factory, marcus_app_factory):
    calls.clear()
    org = await tenant_factory(database=clock_db, plugins=["clock"])
    async with marcus_app_factory(clock_db) as h:
        for _ in range(100):
            if ("tick", org.slug) in calls:
                break
            await asyncio.sleep(0.05)
        assert h.kernel.settings.worker
    assert ("tick", org.slug) in calls
