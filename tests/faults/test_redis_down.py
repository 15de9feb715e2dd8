"""Redis down under one replica: ``marcus serve`` (with its in-process worker) configured with a
Redis that the test kills (SIGKILL) and later starts again on the same port.

While Redis is gone, requests keep working (no 500, no 503 for what does not need Redis), live
notifications still reach the Socket.IO and raw WebSocket clients connected to this replica
(local delivery needs no Redis), new clients can connect, rate limits are counted in the
process instead of Redis (still enforced), and role changes apply at once on this replica (the
policy version check does not need Redis). Nothing is lost: every notification row exists, and
once Redis is back the same clients keep receiving through it.

With two replicas, pushes committed on A reach B's clients again once Redis is back (the
subscriptions are retried), and a replica started while Redis is down serves at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from marcus.testing.outage import PrivateRedis
from marcus.testing.processes import marcus_process, process_env
from marcus.testing.users import DEFAULT_PASSWORD, create_user


async def send(client: httpx.AsyncClient, people, title: str) -> None:
    response = await client.post(
        "/api/v1/notifications/send",
        headers=people.admin.headers,
        json={"title": title, "message": "fault test", "user_ids": [str(people.customer.id)]},
    )
    assert response.status_code == 202, response.text


async def login(client: httpx.AsyncClient, people, password: str) -> int:
    body = {"email": people.customer.email, "password": password}
    response = await client.post("/api/v1/auth/login", headers={"X-Tenant": people.org.slug}, json=body)
    assert response.status_code != 500, response.text
    return response.status_code


async def test_with_redis_killed_one_replica_keeps_serving_delivering_and_limiting(
    marcus_make_database, redis_server: PrivateRedis, people_of, socketio_inbox, websocket_inbox, tmp_path: Path
):
    database = marcus_make_database(None)
    people = await people_of(database)
    promoted = await create_user(database, people.org)
    await database.dispose()
    env = process_env(
        database,
        MARCUS_REDIS_URL=redis_server.url,
        MARCUS_RELAY_POLL_INTERVAL="0.2",
        MARCUS_RATE_LIMITS=json.dumps({"login_account": "3/600"}),
    )
    async with (
        marcus_process(["serve", "--no-migrate"], env, log_dir=tmp_path) as server,
        httpx.AsyncClient(base_url=server.url, timeout=15) as client,
    ):
        assert server.url is not None
        async with (
            socketio_inbox(server.url, people.customer) as sio,
            websocket_inbox(server.url, people.customer) as ws,
        ):
            await send(client, people, "Before")
            await sio.wait_for(1), await ws.wait_for(1)
            assert sio.titles() == ws.titles() == ["Before"]

            redis_server.kill()
            logins = [await login(client, people, p) for p in (DEFAULT_PASSWORD, "wrong", "wrong", DEFAULT_PASSWORD)]
            async with socketio_inbox(server.url, people.customer) as joined_during_outage:
                await send(client, people, "During")
                await sio.wait_for(2), await ws.wait_for(2), await joined_during_outage.wait_for(1)
                assert joined_during_outage.titles() == ["During"]
            refused = await client.get("/api/v1/roles", headers=promoted.headers)
            granted = await client.post(
                f"/api/v1/roles/users/{promoted.id}", headers=people.admin.headers, json={"role": "admin"}
            )
            allowed = await client.get("/api/v1/roles", headers=promoted.headers)
            during = {"sio": sio.titles(), "ws": ws.titles()}

            redis_server.start()
            await send(client, people, "After")
            await sio.wait_for(3), await ws.wait_for(3)
            unread = await client.get("/api/v1/notifications/unread-count", headers=people.customer.headers)
            after_login = await login(client, people, DEFAULT_PASSWORD)
        assert server.returncode is None
    assert logins == [200, 401, 401, 429]  # still limited, counted in the process while Redis is gone
    assert during == {"sio": ["Before", "During"], "ws": ["Before", "During"]}
    assert (refused.status_code, granted.status_code, allowed.status_code) == (403, 200, 200)
    assert sio.titles() == ws.titles() == ["Before", "During", "After"]  # each once, none lost
    assert unread.status_code == 200
    assert unread.json()["unread"] == 3
    assert after_login == 200  # counted in Redis again (which restarted empty)
    assert "unhandled error" not in server.output()
    assert "Task exception was never retrieved" not in server.output()


async def test_after_redis_returns_replicas_share_live_pushes_again(
    marcus_make_database, redis_server: PrivateRedis, people_of, socketio_inbox, websocket_inbox, tmp_path: Path
):
    """Two replicas: A (with the worker) and B. Redis is killed and started again; then pushes
    committed through A reach the clients of B again, on both channels (the subscriptions
    were retried), without restarting anything."""
    database = marcus_make_database(None)
    people = await people_of(database)
    await database.dispose()
    env = process_env(database, MARCUS_REDIS_URL=redis_server.url, MARCUS_RELAY_POLL_INTERVAL="0.2")
    async with (
        marcus_process(["serve", "--no-migrate"], env, log_dir=tmp_path) as a,
        marcus_process(["serve", "--no-migrate", "--no-worker"], env, log_dir=tmp_path) as b,
        httpx.AsyncClient(base_url=str(a.url), timeout=15) as client,
        socketio_inbox(str(b.url), people.customer) as sio,
        websocket_inbox(str(b.url), people.customer) as ws,
    ):
        await send(client, people, "Before")
        await sio.wait_for(1), await ws.wait_for(1)
        before = (sio.titles(), ws.titles())
        redis_server.kill()
        await send(client, people, "During")  # committed and stored; B's clients may miss it live
        redis_server.start()
        for attempt in range(30):
            await send(client, people, f"After {attempt}")
            await sio.wait_for(len(sio.items) + 1, seconds=1), await ws.wait_for(len(ws.items) + 1, seconds=1)
            if any(t.startswith("After") for t in sio.titles()) and any(t.startswith("After") for t in ws.titles()):
                break
        unread = await client.get("/api/v1/notifications/unread-count", headers=people.customer.headers)
        assert (a.returncode, b.returncode) == (None, None)
    assert before == (["Before"], ["Before"])
    assert any(t.startswith("After") for t in sio.titles()), sio.titles()
    assert any(t.startswith("After") for t in ws.titles()), ws.titles()
    assert unread.json()["unread"] == 2 + attempt + 1  # every notification stored, none lost


async def test_a_replica_starts_and_serves_while_redis_is_down(
    marcus_make_database, redis_server: PrivateRedis, people_of, websocket_inbox, tmp_path: Path
):
    """Redis unreachable when ``marcus serve`` starts: it starts anyway (subscriptions retried
    in the background), signs in, and delivers live to its own clients; later, Redis comes."""
    database = marcus_make_database(None)
    people = await people_of(database)
    await database.dispose()
    redis_server.kill()
    env = process_env(database, MARCUS_REDIS_URL=redis_server.url, MARCUS_RELAY_POLL_INTERVAL="0.2")
    async with (
        marcus_process(["serve", "--no-migrate"], env, log_dir=tmp_path) as server,
        httpx.AsyncClient(base_url=str(server.url), timeout=15) as client,
        websocket_inbox(str(server.url), people.customer) as ws,
    ):
        signed_in = await login(client, people, DEFAULT_PASSWORD)
        await send(client, people, "Without Redis")
        await ws.wait_for(1)
        redis_server.start()
        await send(client, people, "With Redis")
        await ws.wait_for(2)
    assert signed_in == 200
    assert ws.titles() == ["Without Redis", "With Redis"]
