"""A process killed after commit: ``marcus serve --no-worker`` commits three notifications (their
outbox rows) and is killed with SIGKILL before anything relays them (no process runs a relay, so
the order is certain). A new API replica and ``marcus worker`` then start: each event is
delivered exactly once (one notification row, one delivery row per handler, no retry) and
reaches the live clients of the new replica once, through Redis. Then the worker itself is
killed half-way through a backlog, and the next one finishes it without losing or repeating.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

from marcus.db.roles import libpq_url
from marcus.testing.outage import PrivateRedis
from marcus.testing.processes import marcus_process, process_env, spawn

TITLES = ("One", "Two", "Three")
BACKLOG = 60


def outbox(admin_url: str, event_ids: list[str]) -> list[tuple[str, int]]:
    """(status, attempts) of the events, in the order given."""
    with psycopg.connect(libpq_url(admin_url)) as conn:
        query = "SELECT id, status, attempts FROM event_outbox WHERE id = ANY(%s::uuid[])"
        rows = {str(r[0]): (r[1], r[2]) for r in conn.execute(query, (event_ids,))}
    return [rows[e] for e in event_ids]


def delivered(admin_url: str, user_id: object, event_ids: list[str]) -> tuple[list[str], set[tuple[int, int]]]:
    """Titles of the user's notification rows, and per event (delivery rows, distinct handlers)."""
    with psycopg.connect(libpq_url(admin_url)) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM notifications WHERE user_id = %s", (user_id,))]
        per_event = conn.execute(
            "SELECT count(*), count(DISTINCT handler) FROM event_deliveries WHERE event_id = ANY(%s::uuid[])"
            " GROUP BY event_id",
            (event_ids,),
        ).fetchall()
    return sorted(titles), {(int(r[0]), int(r[1])) for r in per_event}


async def until_done(admin_url: str, event_ids: list[str], seconds: float = 30.0) -> list[tuple[str, int]]:
    deadline = time.monotonic() + seconds
    while (states := outbox(admin_url, event_ids)) and time.monotonic() < deadline:
        if all(status != "pending" for status, _ in states):
            break
        await asyncio.sleep(0.1)
    return states


async def test_events_of_an_api_killed_after_commit_are_delivered_once_after_restart(
    marcus_make_database, redis_server: PrivateRedis, people_of, socketio_inbox, websocket_inbox, tmp_path: Path
):
    database = marcus_make_database(None)
    people = await people_of(database)
    await database.dispose()
    env = process_env(database, MARCUS_REDIS_URL=redis_server.url, MARCUS_RELAY_POLL_INTERVAL="0.2")
    killed = spawn(["serve", "--no-migrate", "--no-worker"], env, log_dir=tmp_path)
    try:
        await killed.wait_ready()
        async with httpx.AsyncClient(base_url=str(killed.url), timeout=10) as client:
            event_ids = []
            for title in TITLES:
                body = {"title": title, "message": "committed, then killed", "user_ids": [str(people.customer.id)]}
                sent = await client.post("/api/v1/notifications/send", headers=people.admin.headers, json=body)
                assert sent.status_code == 202, sent.text
                event_ids.append(sent.json()["event_id"])
    finally:
        killed.popen.send_signal(signal.SIGKILL)
    assert await killed.wait_exit() == -signal.SIGKILL
    assert outbox(database.admin_url, event_ids) == [("pending", 0)] * 3  # committed, never relayed
    assert delivered(database.admin_url, people.customer.id, event_ids) == ([], set())

    async with (
        marcus_process(["serve", "--no-migrate", "--no-worker"], env, log_dir=tmp_path) as api,
        socketio_inbox(str(api.url), people.customer) as sio,
        websocket_inbox(str(api.url), people.customer) as ws,
    ):
        async with marcus_process(["worker"], env, log_dir=tmp_path) as worker:
            states = await until_done(database.admin_url, event_ids)
            await sio.wait_for(3), await ws.wait_for(3)
            assert worker.returncode is None
    assert states == [("done", 0)] * 3  # each delivered on its first attempt: never dispatched twice
    titles, deliveries = delivered(database.admin_url, people.customer.id, event_ids)
    assert titles == sorted(TITLES)
    assert len(deliveries) == 1  # every event: the same handlers ...
    (rows, handlers), *_ = deliveries
    assert rows == handlers >= 1  # ... each run once
    assert sorted(sio.titles()) == sorted(ws.titles()) == sorted(TITLES)  # live, once each


async def test_a_worker_killed_mid_backlog_loses_and_repeats_nothing(
    marcus_make_database, people_of, socketio_inbox, redis_server: PrivateRedis, tmp_path: Path
):
    """``marcus worker`` is SIGKILLed once it has delivered part of a backlog of committed
    events; the next worker delivers the rest. Each event: exactly one notification row, its
    handlers run once each; live pushes at most once (an emit belongs to its handler's commit)."""
    database = marcus_make_database(None)
    people = await people_of(database)
    await database.dispose()
    env = process_env(database, MARCUS_REDIS_URL=redis_server.url, MARCUS_RELAY_POLL_INTERVAL="0.2")
    titles = [f"b{i:03d}" for i in range(BACKLOG)]
    async with (
        marcus_process(["serve", "--no-migrate", "--no-worker"], env, log_dir=tmp_path) as api,
        httpx.AsyncClient(base_url=str(api.url), timeout=10) as client,
        socketio_inbox(str(api.url), people.customer) as sio,
    ):
        event_ids = []
        for title in titles:
            body = {"title": title, "message": "backlog", "user_ids": [str(people.customer.id)]}
            sent = await client.post("/api/v1/notifications/send", headers=people.admin.headers, json=body)
            assert sent.status_code == 202, sent.text
            event_ids.append(sent.json()["event_id"])
        first = spawn(["worker"], env, log_dir=tmp_path)
        try:
            part = await until_some_delivered(database.admin_url, people.customer.id)
        finally:
            first.popen.send_signal(signal.SIGKILL)
        assert await first.wait_exit() == -signal.SIGKILL
        async with marcus_process(["worker"], env, log_dir=tmp_path):
            states = await until_done(database.admin_url, event_ids, seconds=120)
            await sio.wait_for(BACKLOG, seconds=5)
    print(f"the first worker was killed after {part} of {BACKLOG} deliveries")
    assert states == [("done", 0)] * BACKLOG
    rows, deliveries = delivered(database.admin_url, people.customer.id, event_ids)
    assert rows == sorted(titles)  # none lost, none twice
    assert len(deliveries) == 1
    (count, handlers), *_ = deliveries
    assert count == handlers
    assert max(Counter(sio.titles()).values()) == 1
    assert set(sio.titles()) <= set(titles)


async def until_some_delivered(admin_url: str, user_id: object, seconds: float = 60.0) -> int:
    """Polls until the first notification rows exist; how many there were."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with psycopg.connect(libpq_url(admin_url)) as conn:
            row = conn.execute("SELECT count(*) FROM notifications WHERE user_id = %s", (user_id,)).fetchone()
        if row and row[0]:
            return int(row[0])
        await asyncio.sleep(0.01)
    raise AssertionError("the first worker delivered nothing")
