"""Database outages: connection-level errors answer clean 503 problems (never 500), /readyz says
not ready, and the same Marcus process serves again once PostgreSQL is back.

Three ways to take the database away, from the least to the most disruptive:

* in process, a route raising each connection-level error class (rendering only);
* ``marcus serve`` against this test's own database while the test refuses new connections to
  that one database (``ALTER DATABASE ... ALLOW_CONNECTIONS false``) and terminates its
  backends (``pg_terminate_backend``): a real outage that no other database on the shared
  server notices, so it always runs;
* a real PostgreSQL stop and start. The test starts a private embedded server (its own data
  directory and socket) for that, so it always runs too. Stopping the machine's PostgreSQL 15
  would break other engineers' test runs on the same server: that variant runs only with
  ``MARCUS_TEST_PG_RESTART=1`` and ``MARCUS_TEST_DATABASE_URL`` on 127.0.0.1:5432.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import APIRouter
from psycopg import sql
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

import marcus
from marcus.db.roles import libpq_url
from marcus.testing import make_plugin
from marcus.testing.harness import create_database, create_tenant, drop_database
from marcus.testing.outage import RestartableServer, private_embedded_server
from marcus.testing.processes import marcus_process, process_env
from marcus.testing.users import create_user

SERVING = ("/api/v1/notifications/unread-count", "/readyz")
UNAVAILABLE_CODES = {"database_unavailable", "rbac_unavailable"}


# ---------------------------------------------------------------------- rendering, in process

flaky_router = APIRouter()
FAILURES = {
    "operational": sa_exc.OperationalError("SELECT secret_column FROM t", {}, psycopg.OperationalError("boom")),
    "interface": sa_exc.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection already closed")),
    "pool": sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached"),
    "psycopg": psycopg.OperationalError("server closed the connection unexpectedly"),
    "redis": redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379. boom"),
}


@flaky_router.get("/fail/{kind}")
async def fail(kind: str) -> None:
    """Raise one connection-level database error."""
    raise FAILURES[kind]


flaky = make_plugin(marcus.PluginManifest(name="flaky", version="1"), register_routers=lambda: flaky_router)


async def test_connection_level_errors_of_shared_state_render_as_503_problems(
    marcus_database, tenant_factory, marcus_app_factory
):
    org = await tenant_factory(plugins=["flaky"], installed=[flaky])
    async with marcus_app_factory(marcus_database, plugins=[flaky], worker=False) as h:
        responses = {
            kind: await h.client.get(f"/api/v1/flaky/fail/{kind}", headers={"X-Tenant": org.slug}) for kind in FAILURES
        }
    for kind, response in responses.items():
        assert response.status_code == 503, kind
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert body["code"] == ("redis_unavailable" if kind == "redis" else "database_unavailable")
        assert body["status"] == 503
        assert "secret_column" not in response.text
        assert "boom" not in response.text


# ------------------------------------------------------------------------- a request loop


@dataclass(frozen=True)
class Sample:
    path: str
    status: int
    code: str | None
    problem: bool


async def sample_for(client: httpx.AsyncClient, headers: dict[str, str], seconds: float) -> list[Sample]:
    """Alternate a database-backed API request and /readyz for ``seconds``."""
    results: list[Sample] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in SERVING:
            results.append(await request(client, path, headers))
        await asyncio.sleep(0.02)
    return results


async def request(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Sample:
    response = await client.get(path, headers=headers)
    problem = response.headers.get("content-type") == "application/problem+json"
    return Sample(path, response.status_code, response.json().get("code") if problem else None, problem)


async def until_serving(client: httpx.AsyncClient, headers: dict[str, str], seconds: float = 30.0) -> list[Sample]:
    """Sample until both paths answered 200 three times in a row; fails after ``seconds``."""
    results: list[Sample] = []
    started = time.monotonic()
    while time.monotonic() < started + seconds:
        batch = [await request(client, path, headers) for path in SERVING * 3]
        results += batch
        if all(s.status == 200 for s in batch):
            print(f"serving again {time.monotonic() - started:.2f}s after the database came back")
            return results
        await asyncio.sleep(0.1)
    pytest.fail(f"Marcus did not serve again within {seconds}s: {Counter((s.path, s.status) for s in results)}")


def assert_clean(outage: list[Sample]) -> None:
    """Only 200s and 503 problems with a database code; at least one of those 503s."""
    print("outage samples:", sorted(Counter((s.path, s.status, s.code) for s in outage).items()))
    unexpected = [s for s in outage if s.status not in (200, 503)]
    assert not unexpected, f"not 200/503 during the outage: {unexpected[:5]}"
    failures = [s for s in outage if s.status == 503]
    assert failures, "the outage was not observed: no 503 at all"
    assert all(s.problem and s.code in UNAVAILABLE_CODES for s in failures), failures[:5]
    assert any(s.path == "/readyz" for s in failures), "/readyz stayed ready while the database was gone"


async def people(database) -> tuple:
    org = await create_tenant(database)
    return org, await create_user(database, org, role="admin"), await create_user(database, org)


# ------------------------------------------------------------ cut connections to one database


def admin_conninfo(database_url: str) -> str:
    """libpq URL of the server's ``postgres`` database, for ALTER DATABASE and pg_terminate_backend."""
    return libpq_url(make_url(database_url).set(database="postgres").render_as_string(hide_password=False))


def refuse_connections(database_url: str, *, refuse: bool) -> None:
    name = make_url(database_url).database
    with psycopg.connect(admin_conninfo(database_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(sql.Identifier(name), sql.Literal(not refuse))
        )
        if refuse:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


async def test_cut_connections_answer_503_then_the_same_process_serves_again(marcus_make_database, tmp_path):
    database = marcus_make_database(None)
    _org, _admin, customer = await people(database)
    await database.dispose()
    env = process_env(database, MARCUS_TENANT_CACHE_TTL="0")
    async with (
        marcus_process(["serve", "--no-migrate", "--no-worker"], env, log_dir=tmp_path) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        healthy = await sample_for(client, customer.headers, 0.5)
        refuse_connections(database.admin_url, refuse=True)
        try:
            outage = await sample_for(client, customer.headers, 1.5)
            metrics_during = await client.get("/metrics")
        finally:
            refuse_connections(database.admin_url, refuse=False)
        await until_serving(client, customer.headers)
        assert server.returncode is None  # the same process, never restarted
    assert {s.status for s in healthy} == {200}
    assert_clean(outage)
    assert metrics_during.status_code == 200  # metrics answer while the database is gone
    assert "database unavailable" in server.output()
    assert "unhandled error" not in server.output()


# ------------------------------------------------------------------- stop and start PostgreSQL


def system_server() -> RestartableServer:
    """The machine's PostgreSQL (opt-in: every other user of it sees the outage)."""
    url = os.environ.get("MARCUS_TEST_DATABASE_URL", "")
    parsed = make_url(url) if url else None
    if (
        os.environ.get("MARCUS_TEST_PG_RESTART") != "1"
        or parsed is None
        or (parsed.host, parsed.port) != ("127.0.0.1", 5432)
    ):
        pytest.skip("set MARCUS_TEST_PG_RESTART=1 with MARCUS_TEST_DATABASE_URL on 127.0.0.1:5432 to restart it")
    version = sorted(os.listdir("/etc/postgresql"))[-1]

    def ctl(action: str) -> Callable[[], None]:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
        return lambda: subprocess.run(
            [*command, *(["-m", "fast"] if action == "stop" else [])], check=True, timeout=120
        )

    return RestartableServer(url, ctl("stop"), ctl("start"))


@pytest.fixture(params=["private-embedded", "system-postgresql"])
def restartable(request):
    if request.param == "system-postgresql":
        yield system_server()
        return
    server, cleanup = private_embedded_server()
    try:
        yield server
    finally:
        cleanup()


async def test_a_postgresql_restart_answers_503_then_serves_and_delivers_again(restartable, tmp_path):
    database = create_database(restartable.url, None)
    try:
        await restart_mid_loop(restartable, database, tmp_path)
    finally:
        await database.dispose()
        drop_database(database.admin_url)


async def restart_mid_loop(restartable: RestartableServer, database, tmp_path: Path) -> None:
    _org, admin, customer = await people(database)
    await database.dispose()
    env = process_env(database, MARCUS_TENANT_CACHE_TTL="0", MARCUS_RELAY_POLL_INTERVAL="0.2")
    async with (
        marcus_process(["serve", "--no-migrate"], env, log_dir=tmp_path) as server,  # with the worker
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
    ):
        healthy = await sample_for(client, customer.headers, 0.5)
        await asyncio.to_thread(restartable.stop)
        try:
            outage = await sample_for(client, customer.headers, 1.5)
        finally:
            await asyncio.to_thread(restartable.start)
        await until_serving(client, customer.headers)
        sent = await client.post(
            "/api/v1/notifications/send",
            headers=admin.headers,
            json={"title": "Back", "message": "after the restart", "user_ids": [str(customer.id)]},
        )
        unread = await until_unread(client, customer.headers)
        assert server.returncode is None
        assert "unhandled error" not in server.output()
    assert {s.status for s in healthy} == {200}
    assert_clean(outage)
    assert sent.status_code == 202
    assert unread == 1  # the in-process relay recovered too: the notification was delivered


async def until_unread(client: httpx.AsyncClient, headers: dict[str, str], seconds: float = 15.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = await client.get("/api/v1/notifications/unread-count", headers=headers)
        if response.status_code == 200 and (count := response.json()["unread"]):
            return int(count)
        await asyncio.sleep(0.1)
    return 0
