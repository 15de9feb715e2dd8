"""`marcus worker` as its own process: delivers what the API committed, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from sqlalchemy import func, select

from marcus.events.outbox import OutboxEvent
from marcus.notifications.models import Notification


async def test_worker_process_delivers_committed_events(
    marcus_database, tenant_factory, user_factory, marcus_app_factory
):
    org = await tenant_factory()
    admin = await user_factory(org, role="admin")
    customer = await user_factory(org)
    async with marcus_app_factory(marcus_database, worker=False) as h:
        sent = await h.client.post(
            "/api/v1/notifications/send",
            headers=admin.headers,
            json={"title": "Hello", "message": "From the API", "user_ids": [str(customer.id)]},
        )
        assert sent.status_code == 202
    event_id = sent.json()["event_id"]
    async with marcus_database.db.platform_session() as session:
        assert (await session.get(OutboxEvent, {"organization_id": org.id, "id": event_id})).status == "pending"

    env = {
        **os.environ,
        "MARCUS_DATABASE_URL": marcus_database.admin_url,
        "MARCUS_LOG_JSON": "false",
        "MARCUS_RELAY_POLL_INTERVAL": "0.1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "from marcus.cli import main; main()", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        delivered = 0
        for _ in range(100):
            async with marcus_database.db.tenant_session(org.id) as session:
                delivered = await session.scalar(
                    select(func.count()).select_from(Notification).where(Notification.user_id == customer.id)
                )
            if delivered:
                break
            await asyncio.sleep(0.1)
        assert delivered == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=15)
    assert worker.returncode == 0, output
    assert "background worker stopped" in output
    async with marcus_database.db.platform_session() as session:
        assert (await session.get(OutboxEvent, {"organization_id": org.id, "id": event_id})).status == "done"
