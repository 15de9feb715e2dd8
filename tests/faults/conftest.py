"""Fixtures of the fault tests: a private Redis a test may kill, a workspace with an admin and a
customer, and live clients (Socket.IO and the raw WebSocket) that collect what they are sent."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from marcus.testing.harness import TestDatabase, create_tenant
from marcus.testing.outage import PrivateRedis, private_redis
from marcus.testing.users import TestUser, create_user


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A ``redis-server`` of this test alone (never the machine's): ``kill()``, ``start()``, ``url``."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server must be installed in CI: the Redis fault tests are required")
        pytest.skip("redis-server is not installed")
    with private_redis(tmp_path) as server:
        yield server


@dataclass
class People:
    org: Any
    admin: TestUser
    customer: TestUser


@pytest.fixture
def people_of() -> Callable[[TestDatabase], Awaitable[People]]:
    """``await people_of(database)``: a workspace with an admin and a customer on ``database``."""

    async def make(database: TestDatabase) -> People:
        org = await create_tenant(database)
        return People(org, await create_user(database, org, role="admin"), await create_user(database, org))

    return make


@dataclass
class Inbox:
    """What one live client received, in order."""

    items: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, data: dict[str, Any]) -> None:
        self.items.append(data)
        self.arrived.set()

    async def wait_for(self, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        """The items once there are ``count`` of them, or what came within ``seconds``."""
        deadline = time.monotonic() + seconds
        while len(self.items) < count and time.monotonic() < deadline:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), max(0.01, deadline - time.monotonic()))
        return self.items

    def titles(self) -> list[str]:
        return [str(item["title"]) for item in self.items]


@contextlib.asynccontextmanager
async def _socketio_inbox(url: str, user: TestUser) -> AsyncIterator[Inbox]:
    """A Socket.IO client of ``/notifications`` collecting ``notification:new``."""
    inbox = Inbox()
    client = socketio.AsyncClient(reconnection=False)
    client.on("notification:new", inbox.add, namespace="/notifications")
    await client.connect(
        url,
        namespaces=["/notifications"],
        auth=user.auth,
        headers={"X-Tenant": user.slug},
        transports=["websocket"],
        wait_timeout=5,
    )
    try:
        yield inbox
    finally:
        await client.disconnect()


@contextlib.asynccontextmanager
async def _websocket_inbox(url: str, user: TestUser) -> AsyncIterator[Inbox]:
    """A raw ``/ws/notifications`` client collecting the data of ``notification:new`` frames."""
    inbox = Inbox()
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{url}/ws/notifications", headers=user.headers) as ws:
        assert (await ws.receive_json(timeout=5))["event"] == "connected"

        async def read() -> None:
            async for message in ws:
                frame = message.json()
                if frame.get("event") == "notification:new":
                    inbox.add(frame["data"])

        reader = asyncio.create_task(read())
        try:
            yield inbox
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


@pytest.fixture
def socketio_inbox() -> Callable[[str, TestUser], contextlib.AbstractAsyncContextManager[Inbox]]:
    """``async with socketio_inbox(url, user) as inbox``: a Socket.IO client's notifications."""
    return _socketio_inbox


@pytest.fixture
def websocket_inbox() -> Callable[[str, TestUser], contextlib.AbstractAsyncContextManager[Inbox]]:
    """``async with websocket_inbox(url, user) as inbox``: a raw WebSocket client's notifications."""
    return _websocket_inbox
