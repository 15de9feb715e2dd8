"""Graceful shutdown of ``marcus serve``: on SIGTERM it stops accepting connections, lets the
request in flight finish, disconnects Socket.IO clients, stops the relay, the mail sender and
the jobs, and exits 0.

The slow request comes from the probe plugin (``tests/probe_plugin``), installed for the
subprocess only: ``GET /api/v1/probe/slow`` holds a database connection in ``pg_sleep``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import signal
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
import socketio
from sqlalchemy.engine import make_url

from marcus.db.roles import libpq_url
from marcus.testing.harness import create_tenant
from marcus.testing.processes import marcus_process, process_env
from marcus.testing.users import create_user

PROBE = Path(__file__).parent / "probe_plugin" / "marcus_probe.py"


@pytest.fixture(scope="module")
def probe():
    if "marcus_probe" not in sys.modules:
        spec = importlib.util.spec_from_file_location("marcus_probe", PROBE)
        module = importlib.util.module_from_spec(spec)
        sys.modules["marcus_probe"] = module
        spec.loader.exec_module(module)
    return sys.modules["marcus_probe"]


async def until_sleeping(database_url: str, seconds: float = 10.0) -> None:
    """Until a backend of the database runs the probe's pg_sleep (the request is in flight)."""
    url = make_url(database_url)
    deadline = time.monotonic() + seconds
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                " AND query LIKE 'SELECT pg_sleep%%' AND pid <> pg_backend_pid()",
                (url.database,),
            )
            if (await cursor.fetchone())[0]:
                return
            await asyncio.sleep(0.05)
    pytest.fail("the slow request never reached the database")


async def test_sigterm_finishes_the_request_in_flight_and_exits_zero(marcus_make_database, probe, tmp_path):
    database = marcus_make_database(None)
    org = await create_tenant(database, plugins=["probe"], installed=[probe])
    customer = await create_user(database, org)
    await database.dispose()
    env = process_env(database, PYTHONPATH=probe.pythonpath(tmp_path / "site"))
    async with marcus_process(["serve", "--no-migrate"], env, log_dir=tmp_path) as server:  # worker in process
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(
            server.url,
            namespaces=["/notifications"],
            auth=customer.auth,
            headers={"X-Tenant": org.slug},
            transports=["websocket"],
            wait_timeout=5,
        )
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
            slow = asyncio.create_task(
                client.get("/api/v1/probe/slow", params={"seconds": 2}, headers={"X-Tenant": org.slug})
            )
            await until_sleeping(database.admin_url)
            server.popen.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            await asyncio.sleep(0.5)
            # draining: a new connection is never served. It is refused once the listener is
            # closed; one the kernel queued just before is reset unanswered (httpx: ReadError).
            with pytest.raises((httpx.ConnectError, httpx.ReadError)):
                async with httpx.AsyncClient(timeout=2) as fresh:
                    await fresh.get(f"{server.url}/healthz")
            response = await slow
            answered = time.monotonic() - signalled
            code = await server.wait_exit(30)
            exited = time.monotonic() - signalled
        socket_closed = not sio.connected
        await sio.disconnect()
    output = server.output()
    assert response.status_code == 200, output
    assert response.json() == {"slept": 2.0, "pid": server.pid}
    assert answered > 1.0  # it really was in flight when the signal came
    assert code == 0, output
    assert exited < 15
    assert socket_closed
    assert "background worker stopped" in output
