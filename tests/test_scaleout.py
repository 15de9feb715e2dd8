"""Scale-out: two API processes (``marcus serve --no-worker``, A and B) and ``marcus worker``
processes on one PostgreSQL database and the machine's Redis (``MARCUS_TEST_REDIS_URL``).

* a notification sent through A reaches a Socket.IO client and a raw WebSocket client of B:
  A only commits the outbox row, the worker relays it, Redis carries the emit to B;
* a role change through A is enforced by B within a second (Redis policy notification);
* a scheduled job runs once per workspace, not once per process, with three workers.

Jobs come from the probe plugin (``tests/probe_plugin``): its folder and a generated
``.dist-info`` go on the subprocesses' ``PYTHONPATH`` only, so every Marcus process loads it
from its entry point like any installed plugin while the shared virtualenv never sees it.
The processes run with production-like caches (``MARCUS_TENANT_CACHE_TTL=5``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import pytest
import redis.asyncio as aioredis
import socketio
from sqlalchemy import select

from marcus.jobs import JobSchedule
from marcus.rbac.notify import CHANNEL as POLICY_CHANNEL
from marcus.testing.harness import TestDatabase, create_tenant
from marcus.testing.processes import MarcusProcess, marcus_process, process_env, spawn
from marcus.testing.users import TestUser, create_user

pytestmark = pytest.mark.redis
PROBE = Path(__file__).parent / "probe_plugin" / "marcus_probe.py"


def redis_url() -> str:
    """As the ``redis_url`` fixture of tests/conftest.py (function-scoped there; needed per module here)."""
    url = os.environ.get("MARCUS_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("MARCUS_TEST_REDIS_URL must be set in CI: the multi-replica tests are required")
        pytest.skip("set MARCUS_TEST_REDIS_URL to run the multi-replica tests")
    return url


@pytest.fixture(scope="module")
def probe():
    if "marcus_probe" not in sys.modules:
        spec = importlib.util.spec_from_file_location("marcus_probe", PROBE)
        module = importlib.util.module_from_spec(spec)
        sys.modules["marcus_probe"] = module
        spec.loader.exec_module(module)
    return sys.modules["marcus_probe"]


@dataclass
class Cluster:
    database: TestDatabase
    env: dict[str, str]
    a: MarcusProcess
    b: MarcusProcess
    worker: MarcusProcess
    org: object
    admin: TestUser
    customer: TestUser
    job_log: Path


@pytest.fixture(scope="module")
async def cluster(marcus_make_database, probe, tmp_path_factory):
    url = redis_url()
    folder = tmp_path_factory.mktemp("scaleout")
    database = marcus_make_database(None)
    org = await create_tenant(database, plugins=["probe"], installed=[probe])
    admin, customer = await create_user(database, org, role="admin"), await create_user(database, org)
    job_log = folder / "jobs.log"
    env = process_env(
        database,
        MARCUS_REDIS_URL=url,
        MARCUS_TENANT_CACHE_TTL="5",
        MARCUS_PROBE_JOB_LOG=str(job_log),
        PYTHONPATH=probe.pythonpath(folder / "site"),
    )
    processes = [spawn(["serve", "--no-migrate", "--no-worker"], env, log_dir=folder) for _ in range(2)]
    processes.append(spawn(["worker"], env, log_dir=folder))
    try:
        await asyncio.gather(*(p.wait_ready() for p in processes))
        yield Cluster(database, env, *processes, org=org, admin=admin, customer=customer, job_log=job_log)
    finally:
        codes = await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)
        await database.dispose()
    assert codes == [0, 0, 0], [p.output()[-2000:] for p in processes]


async def test_a_notification_sent_through_a_reaches_socketio_and_websocket_clients_of_b(cluster):
    customer = cluster.customer
    arrived: asyncio.Queue = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("notification:new", lambda data: arrived.put_nowait((time.monotonic(), data)), namespace="/notifications")
    await client.connect(
        cluster.b.url,
        namespaces=["/notifications"],
        auth=customer.auth,
        headers={"X-Tenant": customer.slug},
        transports=["websocket"],
        wait_timeout=5,
    )
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"{cluster.b.url}/ws/notifications", headers=customer.headers) as ws,
            httpx.AsyncClient(base_url=cluster.a.url, timeout=10) as a,
        ):
            assert (await ws.receive_json(timeout=5))["event"] == "connected"
            sent_at = time.monotonic()
            sent = await a.post(
                "/api/v1/notifications/send",
                headers=cluster.admin.headers,
                json={"title": "Scale-out", "message": "Sent through A", "user_ids": [str(customer.id)]},
            )
            assert sent.status_code == 202, sent.text
            received_at, data = await asyncio.wait_for(arrived.get(), 10)
            frame = await ws.receive_json(timeout=10)
            await asyncio.sleep(0.3)
    finally:
        await client.disconnect()
    print(f"A -> worker -> Redis -> B: {received_at - sent_at:.3f}s")
    assert data["title"] == "Scale-out"
    assert data["message"] == "Sent through A"
    assert frame["event"] == "notification:new"
    assert frame["data"]["title"] == "Scale-out"
    assert arrived.empty()  # delivered once
    assert received_at - sent_at < 5  # the worker polls the outbox every second


async def status_within(client: httpx.AsyncClient, headers: dict, expected: int, seconds: float) -> float:
    """Seconds until GET /api/v1/roles answers ``expected``; fails after ``seconds``."""
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        if (await client.get("/api/v1/roles", headers=headers)).status_code == expected:
            return elapsed
        await asyncio.sleep(0.01)
    pytest.fail(f"B did not answer {expected} within {seconds}s of the change through A")


async def test_a_role_change_through_a_is_enforced_by_b_within_a_second(cluster):
    member = await create_user(cluster.database, cluster.org)
    path = f"/api/v1/roles/users/{member.id}"
    redis = aioredis.Redis.from_url(cluster.env["MARCUS_REDIS_URL"])
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(POLICY_CHANNEL)
    try:
        async with (
            httpx.AsyncClient(base_url=cluster.a.url, timeout=10) as a,
            httpx.AsyncClient(base_url=cluster.b.url, timeout=10) as b,
        ):
            assert (await b.get("/api/v1/roles", headers=member.headers)).status_code == 403  # B caches the denial
            granted = await a.post(path, headers=cluster.admin.headers, json={"role": "admin"})
            assert granted.status_code == 200, granted.text
            allowed_after = await status_within(b, member.headers, 200, 1.0)
            notice = await policy_notice(pubsub, str(cluster.org.id))
            revoked = await a.delete(f"{path}/admin", headers=cluster.admin.headers)
            assert revoked.status_code == 200, revoked.text
            denied_after = await status_within(b, member.headers, 403, 1.0)
    finally:
        await pubsub.aclose()
        await redis.aclose()
    print(f"B enforced the grant after {allowed_after:.3f}s, the revocation after {denied_after:.3f}s")
    assert notice, "A did not publish the change on Redis"
    assert allowed_after < 1.0
    assert denied_after < 1.0


async def test_a_scheduled_job_runs_once_per_workspace_across_three_workers(cluster, probe, tmp_path):
    async with (
        marcus_process(["worker"], cluster.env, log_dir=tmp_path) as second,
        marcus_process(["worker"], cluster.env, log_dir=tmp_path) as third,
    ):
        workers = {cluster.worker.pid, second.pid, third.pid}
        orgs = [await create_tenant(cluster.database, plugins=["probe"], installed=[probe]) for _ in range(24)]
        wanted = {o.slug for o in orgs} | {cluster.org.slug}
        for _ in range(150):  # 30 s at most
            if wanted <= set(job_runs(cluster.job_log)):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.5)  # every worker polls again: a duplicate run would show now
    runs = job_runs(cluster.job_log)
    assert {slug: n for slug, n in runs.items() if n != 1} == {}
    assert set(runs) == wanted
    pids = {int(line.split()[1]) for line in cluster.job_log.read_text().splitlines()}
    print("runs per worker:", Counter(line.split()[1] for line in cluster.job_log.read_text().splitlines()))
    assert pids <= workers
    assert len(pids) >= 2, "expected the runs to be shared by several workers"
    async with cluster.database.db.platform_session() as session:
        counts = (await session.scalars(select(JobSchedule.runs).where(JobSchedule.job == "probe.tick"))).all()
    assert sorted(set(counts)) == [1]
    assert len(counts) == len(wanted)


async def policy_notice(pubsub, org_id: str, seconds: float = 5.0) -> str | None:
    """The first "<org> <version>" policy message for ``org_id`` (other tests share this Redis)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = await pubsub.get_message(timeout=max(0.01, deadline - time.monotonic()))
        if message is not None and message["data"].decode().startswith(org_id):
            return message["data"].decode()
    return None


def job_runs(path: Path) -> Counter:
    """Runs per workspace slug, from the probe's log."""
    return Counter(line.split()[0] for line in path.read_text().splitlines()) if path.exists() else Counter()
