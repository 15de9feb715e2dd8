"""PostgreSQL restarted under a running ``marcus serve`` (with its in-process relay) while an
admin keeps sending notifications to five customers: no half-written data.

The server is a private embedded PostgreSQL (``marcus.testing.outage``), stopped and started by
the test. ``tests/test_outage.py`` shows the clean 503s and the recovery of the same process;
this test adds the data: every write answered 202 is there, fully delivered (one notification
for each of the five customers, never two, never fewer), whatever the restart cut in the
middle of a request or of a relay pass; a write answered 503 either never happened or is
complete too; and the relay finishes every event without restarting the app.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

from marcus.db.roles import libpq_url
from marcus.testing.harness import create_database, create_tenant, drop_database
from marcus.testing.outage import RestartableServer, private_embedded_server
from marcus.testing.processes import marcus_process, process_env
from marcus.testing.users import TestUser, create_user

RECIPIENTS = 5


async def test_writes_through_a_postgresql_restart_are_all_or_nothing(tmp_path: Path):
    server, cleanup = private_embedded_server()
    try:
        database = create_database(server.url, None)
        try:
            await restart_under_writes(server, database, tmp_path)
        finally:
            await database.dispose()
            drop_database(database.admin_url)
    finally:
        cleanup()


class Writer:
    """Sends one notification after the other to the same customers, each with its own title."""

    def __init__(self, client: httpx.AsyncClient, admin: TestUser, customers: list[TestUser]) -> None:
        self.client, self.admin, self.customers = client, admin, customers
        self.answers: dict[str, tuple[int, str | None]] = {}
        self.limit = 1_000_000

    def stop_after(self, more: int) -> None:
        """Send ``more`` writes, then stop."""
        self.limit = len(self.answers) + more

    async def run(self) -> None:
        while len(self.answers) < self.limit:
            title = f"n{len(self.answers):04d}"
            body = {"title": title, "message": "through a restart", "user_ids": [str(c.id) for c in self.customers]}
            try:
                response = await self.client.post("/api/v1/notifications/send", headers=self.admin.headers, json=body)
                problem = response.headers.get("content-type") == "application/problem+json"
                self.answers[title] = (response.status_code, response.json().get("code") if problem else None)
            except httpx.HTTPError as exc:
                self.answers[title] = (0, type(exc).__name__)
            await asyncio.sleep(0.02)

    def titles(self, status: int) -> set[str]:
        return {title for title, (code, _) in self.answers.items() if code == status}


async def until_ready(client: httpx.AsyncClient, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (await client.get("/readyz")).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not ready {seconds}s after PostgreSQL came back")


def settled(admin_url: str) -> tuple[Counter[str], dict[str, tuple[int, int]]]:
    """Outbox statuses, and per notification title (rows, distinct recipients)."""
    with psycopg.connect(libpq_url(admin_url)) as conn:
        statuses = Counter(r[0] for r in conn.execute("SELECT status FROM event_outbox"))
        rows = conn.execute("SELECT title, count(*), count(DISTINCT user_id) FROM notifications GROUP BY title")
        return statuses, {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def until_settled(admin_url: str, seconds: float = 90.0) -> tuple[Counter[str], dict[str, tuple[int, int]]]:
    deadline = time.monotonic() + seconds
    while True:
        state = settled(admin_url)
        if not state[0]["pending"] or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.2)


async def restart_under_writes(server: RestartableServer, database, tmp_path: Path) -> None:
    org = await create_tenant(database)
    admin = await create_user(database, org, role="admin")
    customers = [await create_user(database, org) for _ in range(RECIPIENTS)]
    await database.dispose()
    env = process_env(database, MARCUS_TENANT_CACHE_TTL="0", MARCUS_RELAY_POLL_INTERVAL="0.2")
    async with (
        marcus_process(["serve", "--no-migrate"], env, log_dir=tmp_path) as app,
        httpx.AsyncClient(base_url=str(app.url), timeout=15) as client,
    ):
        writer = Writer(client, admin, customers)
        writing = asyncio.create_task(writer.run())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(server.start)
        await until_ready(client)
        writer.stop_after(10)  # a few more writes once it is back
        await writing
        statuses, notifications = await until_settled(database.admin_url)
        assert app.returncode is None  # the same process throughout
        output = app.output()

    print("answers:", sorted(Counter(writer.answers.values()).items()), "outbox:", dict(statuses))
    # a refusal is a clean 503 naming the outage: the write's own transaction, or the permission
    # check before it when the workspace's policy was due for its re-read (docs/operations.md §9)
    assert set(writer.answers.values()) <= {(202, None), (503, "database_unavailable"), (503, "rbac_unavailable")}
    assert writer.titles(503), "the restart was not observed: no 503"
    assert writer.titles(202)
    assert set(statuses) == {"done"}  # every committed event delivered, none given up
    assert writer.titles(202) <= set(notifications)  # every acknowledged write is there ...
    assert set(notifications) <= set(writer.answers)  # ... and nothing that was never asked for
    assert set(notifications.values()) == {(RECIPIENTS, RECIPIENTS)}  # each complete, none twice
    assert "unhandled error" not in output
