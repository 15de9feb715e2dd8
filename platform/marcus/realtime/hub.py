"""The hub: one call delivers a live message to Socket.IO rooms and raw WebSocket clients.

Rooms are chosen by the server only: ``org:{id}``, ``org:{id}:user:{id}``, ``org:{id}:role:{role}``.
Socket.IO reaches other replicas through its ``AsyncRedisManager``; raw WebSocket frames are
delivered to this replica's sockets at once and, when ``MARCUS_REDIS_URL`` is set, published on
a Redis channel for the other replicas (each skips its own messages). So a Redis outage never
stops delivery to the clients of the replica that emits; the subscription is retried until
Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("marcus.realtime")
NAMESPACE = "/notifications"
CHANNEL = "marcus:realtime"
RETRY_SECONDS = (0.25, 5.0)  # first and longest wait before resubscribing to Redis


def tenant_room(org_id: uuid.UUID) -> str:
    return f"org:{org_id}"


def user_room(org_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"org:{org_id}:user:{user_id}"


def role_room(org_id: uuid.UUID, role: str) -> str:
    return f"org:{org_id}:role:{role}"


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...


@dataclass
class _Listener:
    socket: Socket
    rooms: frozenset[str]


@dataclass
class Hub:
    """Emits to rooms; raw WebSocket listeners register the rooms they belong to."""

    sio: Any
    redis_url: str | None = None
    _listeners: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    _sockets: dict[int, _Listener] = field(default_factory=dict)
    _redis: Any = None
    _task: asyncio.Task[None] | None = None
    _host: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def emit(self, event: str, data: dict[str, Any], rooms: Iterable[str]) -> None:
        """Deliver ``event`` once to every connection in any of ``rooms``."""
        targets = sorted(set(rooms))
        await self.sio.emit(event, data, to=targets, namespace=NAMESPACE)
        await self._send_raw(targets, json.dumps({"event": event, "data": data}, default=str))

    async def emit_to_pages(self, event: str, data: dict[str, Any], org_id: uuid.UUID) -> None:
        """Deliver ``event`` to the workspace's open portal pages only: their WebSocket is the
        one raw socket in the workspace room; Socket.IO clients are not sent it."""
        await self._send_raw([tenant_room(org_id)], json.dumps({"event": event, "data": data}, default=str))

    async def _send_raw(self, targets: list[str], frame: str) -> None:
        await self._deliver_local(targets, frame)
        if self._redis is None:
            return
        try:
            await self._redis.publish(CHANNEL, json.dumps({"host": self._host, "rooms": targets, "frame": frame}))
        except Exception as exc:  # Redis down: this replica's sockets got it; the others miss it
            log.warning("live frame not shared with other replicas, Redis unavailable (%s)", type(exc).__name__)

    def listen(self, socket: Socket, rooms: Iterable[str]) -> int:
        """Register a raw WebSocket for ``rooms``; returns a handle for ``forget``."""
        handle = id(socket)
        self._sockets[handle] = _Listener(socket=socket, rooms=frozenset(rooms))
        for room in self._sockets[handle].rooms:
            self._listeners[room].add(handle)
        return handle

    def forget(self, handle: int) -> None:
        listener = self._sockets.pop(handle, None)
        for room in listener.rooms if listener else ():
            self._listeners[room].discard(handle)

    async def _deliver_local(self, rooms: list[str], frame: str) -> None:
        handles = set().union(*(self._listeners.get(r, set()) for r in rooms)) if rooms else set()
        for handle in handles:
            listener = self._sockets.get(handle)
            if listener is None:
                continue
            try:
                await listener.socket.send_text(frame)
            except Exception:  # a closing socket; its endpoint forgets it
                log.debug("dropping a frame for a closed websocket")

    async def start(self) -> None:
        """Subscribe to the Redis channel (when configured) for raw WebSocket fan-out."""
        if not self.redis_url:
            return
        from redis import asyncio as aioredis

        self._redis = aioredis.from_url(self.redis_url)
        self._task = asyncio.create_task(self._relay_forever(), name="marcus-realtime-redis")

    async def _relay_forever(self) -> None:
        """Listen to the other replicas' frames; resubscribe with backoff when Redis goes away."""
        delay = RETRY_SECONDS[0]
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                delay = RETRY_SECONDS[0]
                await self._relay(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis realtime channel unavailable (%s); retrying", type(exc).__name__)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_SECONDS[1])

    async def _relay(self, pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            try:
                body = json.loads(message["data"])
                if body.get("host") != self._host:
                    await self._deliver_local(list(body["rooms"]), str(body["frame"]))
            except Exception:
                log.exception("bad realtime message on %s", CHANNEL)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._redis is not None:
            await self._redis.aclose()
