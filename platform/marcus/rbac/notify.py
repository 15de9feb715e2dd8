"""Redis pub/sub between replicas: "tenant X's policy is now at version N".

Best effort by design: a lost message only delays a change until the version check notices
it. After a broken connection every cached tenant is marked stale, since messages may have
been missed while it was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import redis.asyncio as redis

log = logging.getLogger("marcus.rbac")

CHANNEL = "marcus:rbac:policy"
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)


class RedisNotifier:
    """Publishes policy changes and calls ``on_change(org_id, version)`` for every one received."""

    def __init__(
        self,
        url: str,
        on_change: Callable[[uuid.UUID, int], None],
        on_reconnect: Callable[[], None],
        *,
        channel: str = CHANNEL,
    ) -> None:
        self.url = url
        self.channel = channel
        self._on_change = on_change
        self._on_reconnect = on_reconnect
        self._client: redis.Redis | None = None

    async def publish(self, org_id: uuid.UUID, version: int) -> None:
        """Tell every replica that ``org_id`` changed (failures are logged, never raised)."""
        if self._client is None:
            return
        try:
            await self._client.publish(self.channel, f"{org_id} {version}")
        except Exception as exc:
            log.warning("publishing a policy change to Redis failed: %s", type(exc).__name__)

    def _received(self, data: Any) -> None:
        try:
            org, version = (data.decode() if isinstance(data, bytes) else str(data)).split()
            self._on_change(uuid.UUID(org), int(version))
        except ValueError:
            log.warning("ignoring a malformed policy notification")

    async def _listen(self, pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                self._received(message["data"])

    async def _listen_forever(self, pubsub: Any) -> None:
        attempt = 0
        while True:
            try:
                await self._listen(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis policy channel lost (%s); retrying", type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1
            with contextlib.suppress(Exception):
                await pubsub.subscribe(self.channel)
                attempt = 0
            self._on_reconnect()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Subscribe before the app serves (retrying in the background if Redis is down), listen until shutdown."""
        self._client = redis.Redis.from_url(self.url)
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
        except Exception as exc:  # serve anyway: the version check keeps replicas in sync
            log.warning("Redis policy channel unavailable at startup (%s); retrying", type(exc).__name__)
        task = asyncio.create_task(self._listen_forever(pubsub))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed from redis 8 on
            await self._client.aclose()
            self._client = None
