"""Background work: the outbox relay, the mail sender, the scheduled jobs and housekeeping.

Runs inside the API process by default (``MARCUS_WORKER=true``) or as ``marcus worker``;
several of them may run at once (the relay claims events with ``SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from marcus.events.relay import Relay
from marcus.housekeeping import Housekeeper
from marcus.jobs import JobRunner
from marcus.kernel import Kernel
from marcus.metrics import Metrics

log = logging.getLogger("marcus.worker")


def relay_for(kernel: Kernel) -> Relay:
    """The outbox relay of this kernel."""
    return Relay(kernel.events, kernel.db, kernel.tenants, poll_interval=kernel.settings.relay_poll_interval)


def job_runner_for(kernel: Kernel, metrics: Metrics | None = None) -> JobRunner:
    """The job runner of this kernel, its runs counted in ``metrics`` when given."""
    runner = JobRunner(kernel)
    if metrics is not None:
        runner.jobs = metrics.instrument_jobs(runner.jobs)
    return runner


@asynccontextmanager
async def background(kernel: Kernel, *, metrics: Metrics | None = None) -> AsyncIterator[None]:
    """Run the background loops as tasks while the context is open; stop them cleanly after."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay_for(kernel).run(stop), name="marcus-outbox-relay"),
        asyncio.create_task(job_runner_for(kernel, metrics).run(stop), name="marcus-jobs"),
        asyncio.create_task(Housekeeper(kernel.db, kernel.settings).run(stop), name="marcus-housekeeping"),
    ]
    await kernel.mail.start()
    log.info("background worker started")
    try:
        yield
    finally:
        stop.set()
        kernel.events.wake()
        await kernel.mail.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("background worker stopped")


async def run_until(app: Any, stop: asyncio.Event) -> None:
    """``marcus worker``: the app's lifespan without HTTP until ``stop`` is set.

    The whole lifespan, not just ``background``: the worker's emits must reach raw WebSocket
    clients of other replicas through Redis (``Hub.start``), plugins' lifespans hold what their
    event handlers and jobs use, and ``MARCUS_METRICS_PORT`` serves its metrics.
    """
    async with app.api.router.lifespan_context(app.api):
        await stop.wait()
