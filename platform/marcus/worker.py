"""Background work: the outbox relay, the mail sender and the scheduled jobs.

Runs inside the API process by default (``MARCUS_WORKER=true``) or as ``marcus worker``;
several of them may run at once (the relay claims events with ``SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from marcus.events.relay import Relay
from marcus.jobs import JobRunner
from marcus.kernel import Kernel

log = logging.getLogger("marcus.worker")


def relay_for(kernel: Kernel) -> Relay:
    """The outbox relay of this kernel."""
    return Relay(kernel.events, kernel.db, kernel.tenants, poll_interval=kernel.settings.relay_poll_interval)


@asynccontextmanager
async def background(kernel: Kernel) -> AsyncIterator[None]:
    """Run the background loops as tasks while the context is open; stop them cleanly after."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay_for(kernel).run(stop), name="marcus-outbox-relay"),
        asyncio.create_task(JobRunner(kernel).run(stop), name="marcus-jobs"),
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


async def run_until(kernel: Kernel, stop: asyncio.Event) -> None:
    """``marcus worker``: run the background loops until ``stop`` is set."""
    async with background(kernel):
        await stop.wait()
