"""Live delivery with a real uvicorn server and real clients: Socket.IO and the raw WebSocket."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import pytest
import socketio

import marcus
from marcus.auth.tokens import issue_access_token
from marcus.events import Event, Notice, publish
from marcus.testing import make_plugin


class Pinged(Event):
    name = "pager.pinged"
    notice = Notice(type="Page", title="Ping", message="Ping {n}")
    n: int


pager = make_plugin(marcus.PluginManifest(name="pager", version="1"), register_event_types=lambda: [Pinged])


@pytest.fixture(scope="module")
async def pager_db(marcus_make_database):
    database = marcus_make_database([pager])
    yield database
    await database.dispose()


@pytest.fixture
async def people(pager_db, tenant_factory, user_factory):
    a = await tenant_factory(database=pager_db, plugins=["pager"])
    b = await tenant_factory(database=pager_db, plugins=["pager"])
    return {
        "a": a,
        "b": b,
        "alice": await user_factory(a, database=pager_db),
        "carol": await user_factory(a, database=pager_db),
        "admin": await user_factory(a, database=pager_db, role="admin"),
        "bert": await user_factory(b, database=pager_db),
    }


class Inbox:
    """A Socket.IO client collecting ``notification:new`` payloads."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.items: list[dict] = []
        self.arrived = asyncio.Event()

        @self.client.on("notification:new", namespace="/notifications")
        async def _on(data: dict) -> None:
            self.items.append(data)
            self.arrived.set()

    async def connect(self, url: str, user, **auth) -> Inbox:
        await self.client.connect(
            url,
            namespaces=["/notifications"],
            auth={**user.auth, **auth},
            headers={"X-Tenant": user.slug},
            transports=["websocket"],
            wait_timeout=5,
        )
        return self

    async def wait_for(self, count: int, seconds: float = 3.0) -> list[dict]:
        deadline = time.monotonic() + seconds
        while len(self.items) < count and time.monotonic() < deadline:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        return self.items

    async def close(self) -> None:
        await self.client.disconnect()


async def ping(server, org, user_id, n):
    async with server.app.kernel.db.tenant_transaction(org.id) as session:
        await publish(session, Pinged(customer_id=user_id, n=n))
    return time.monotonic()


async def test_notification_reaches_the_client_within_a_second(pager_db, people, marcus_live_server):
    async with marcus_live_server(pager_db) as server:
        inbox = await Inbox().connect(server.url, people["alice"])
        try:
            committed = await ping(server, people["a"], people["alice"].id, 1)
            items = await inbox.wait_for(1)
            elapsed = time.monotonic() - committed
        finally:
            await inbox.close()
    assert [i["message"] for i in items] == ["Ping 1"]
    assert elapsed < 1.0


async def test_tenants_and_customers_only_get_their_own(pager_db, people, marcus_live_server):
    async with marcus_live_server(pager_db) as server:
        alice = await Inbox().connect(server.url, people["alice"])
        carol = await Inbox().connect(server.url, people["carol"])
        admin = await Inbox().connect(server.url, people["admin"])
        bert = await Inbox().connect(server.url, people["bert"])
        try:
            await ping(server, people["a"], people["alice"].id, 7)
            await admin.wait_for(1)
            await alice.wait_for(1)
            await asyncio.sleep(0.3)
        finally:
            for inbox in (alice, carol, admin, bert):
                await inbox.close()
    assert [i["message"] for i in alice.items] == ["Ping 7"]
    assert [i["message"] for i in admin.items] == ["Ping 7"]  # staff see the workspace's notifications
    assert carol.items == []
    assert bert.items == []


async def test_bad_expired_and_foreign_tokens_are_refused(pager_db, people, marcus_live_server):
    settings = pager_db.settings.model_copy(update={"access_token_ttl": -10})
    alice = people["alice"]
    expired = issue_access_token(
        settings, user_id=alice.id, org_id=alice.org_id, session_id=uuid.uuid4(), roles=["admin"]
    )
    async with marcus_live_server(pager_db) as server:
        for auth, tenant in (
            ({"token": "not-a-jwt"}, alice.slug),
            ({"token": expired}, alice.slug),
            ({}, alice.slug),
            (alice.auth, people["b"].slug),  # tenant A's token on tenant B
        ):
            client = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect(
                    server.url,
                    namespaces=["/notifications"],
                    auth=auth,
                    headers={"X-Tenant": tenant},
                    transports=["websocket"],
                    wait_timeout=5,
                )
            await client.disconnect()


async def test_reconnect_with_last_event_id_replays_what_was_missed(pager_db, people, marcus_live_server):
    alice = people["alice"]
    async with marcus_live_server(pager_db) as server:
        inbox = await Inbox().connect(server.url, alice)
        await ping(server, people["a"], alice.id, 1)
        seen = await inbox.wait_for(1)
        await inbox.close()
        for n in (2, 3):
            await ping(server, people["a"], alice.id, n)
        await asyncio.sleep(0.3)  # delivered while nobody listened
        again = await Inbox().connect(server.url, alice, last_event_id=seen[-1]["id"])
        try:
            replayed = await again.wait_for(2)
        finally:
            await again.close()
    assert [i["message"] for i in replayed] == ["Ping 2", "Ping 3"]


async def test_socket_is_disconnected_when_its_token_expires(pager_db, people, marcus_live_server):
    alice = people["alice"]
    async with marcus_live_server(pager_db) as server:
        # 3 s, not 1: `exp` has whole seconds, so a 1 s token issued late in a second may expire
        # before a loaded machine finishes the handshake (CI saw that refusal once).
        short = server.app.kernel.settings.model_copy(update={"access_token_ttl": 3})
        async with server.app.kernel.db.tenant_session(alice.org_id) as session:
            from sqlalchemy import select

            from marcus.auth.models import AuthSession

            session_id = await session.scalar(select(AuthSession.id).where(AuthSession.user_id == alice.id))
        token = issue_access_token(short, user_id=alice.id, org_id=alice.org_id, session_id=session_id, roles=[])
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            server.url,
            namespaces=["/notifications"],
            auth={"token": token},
            headers={"X-Tenant": alice.slug},
            transports=["websocket"],
            wait_timeout=5,
        )
        assert client.connected
        for _ in range(100):
            if not client.connected:
                break
            await asyncio.sleep(0.1)
        assert not client.connected
        await client.disconnect()


async def test_raw_websocket_speaks_the_seed_protocol(pager_db, people, marcus_live_server):
    alice = people["alice"]
    async with marcus_live_server(pager_db) as server, aiohttp.ClientSession() as http:
        ws_url = server.url.replace("http", "ws") + "/ws/notifications"
        async with http.ws_connect(ws_url + "?token=garbage", headers={"X-Tenant": alice.slug}) as ws:
            frame = json.loads((await ws.receive(timeout=5)).data)
            assert frame["event"] == "auth_error"
        async with http.ws_connect(ws_url, headers={"Authorization": alice.access_token, "X-Tenant": alice.slug}) as ws:
            hello = json.loads((await ws.receive(timeout=5)).data)
            assert hello == {"event": "connected", "data": {"userId": str(alice.id), "role": "CUSTOMER"}}
            await ping(server, people["a"], alice.id, 5)
            frame = json.loads((await ws.receive(timeout=5)).data)
    assert frame["event"] == "notification:new"
    assert frame["data"]["message"] == "Ping 5"
    assert frame["data"]["userId"] == str(alice.id)
    assert frame["data"]["isCustomerRead"] is False


@pytest.mark.redis
async def test_two_replicas_share_delivery_through_redis(pager_db, people, marcus_live_server, redis_url):
    alice = people["alice"]
    async with (
        marcus_live_server(pager_db, redis_url=redis_url) as one,
        marcus_live_server(pager_db, redis_url=redis_url) as two,
    ):
        inbox = await Inbox().connect(two.url, alice)
        try:
            await asyncio.sleep(0.2)
            committed = await ping(one, people["a"], alice.id, 42)  # committed and relayed on replica one
            items = await inbox.wait_for(1)
            elapsed = time.monotonic() - committed
        finally:
            await inbox.close()
    assert [i["message"] for i in items] == ["Ping 42"]
    assert elapsed < 1.0


class EchoNamespace(socketio.AsyncNamespace):
    """A plugin namespace: answers ``echo`` with the caller's workspace and user."""

    async def on_echo(self, sid, data):
        session = await self.get_session(sid)
        return {"data": data, "tenant": session["tenant"].slug, "user": str(session["principal"].user_id)}


async def test_plugin_namespace_is_authenticated_and_refused_where_disabled(
    pager_db, people, tenant_factory, user_factory, marcus_live_server
):
    echo_plugin = make_plugin(
        marcus.PluginManifest(name="echo", version="1"),
        register_socketio_namespaces=lambda: [EchoNamespace("/echo")],
    )
    enabled = await tenant_factory(database=pager_db, plugins=["echo"], installed=[pager, echo_plugin])
    user = await user_factory(enabled, database=pager_db)
    outsider = people["alice"]  # her workspace has not enabled 'echo'
    async with marcus_live_server(pager_db, plugins=[pager, echo_plugin]) as server:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            server.url,
            namespaces=["/echo"],
            auth=user.auth,
            headers={"X-Tenant": user.slug},
            transports=["websocket"],
            wait_timeout=5,
        )
        answer = await client.call("echo", "hi", namespace="/echo", timeout=5)
        await client.disconnect()
        assert answer == {"data": "hi", "tenant": enabled.slug, "user": str(user.id)}
        for auth, slug in ((outsider.auth, outsider.slug), ({"token": "bad"}, enabled.slug)):
            refused = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await refused.connect(
                    server.url,
                    namespaces=["/echo"],
                    auth=auth,
                    headers={"X-Tenant": slug},
                    transports=["websocket"],
                    wait_timeout=5,
                )
            await refused.disconnect()
