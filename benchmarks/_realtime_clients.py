"""One client process of the realtime latency benchmark: many Socket.IO clients on one event loop.

``realtime_latency.py`` starts ``run`` in a spawned process with a share of the customers'
tokens. It connects one ``socketio.AsyncClient`` per customer to ``/notifications`` (websocket
transport, ``auth={"token": ...}``, ``X-Tenant``), all sharing one aiohttp session, and stamps
every ``notification:new`` with ``time.time_ns()`` first thing in its handler. A sleeper task
measures the loop's lag, so a busy client loop shows up instead of hiding in the latency.

Commands arrive on a pipe as ``(name, arg)``; answers go back as ``(name, value)``:
``connected`` (sent once, unasked), ``clock``, ``start`` (clear receipts and lag), ``collect``,
``stop`` (disconnect everything and exit). A closed pipe (parent gone) means stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

NAMESPACE = "/notifications"
LAG_TICK = 0.01


@dataclass
class Receipt:
    seq: int | None
    user_id: str
    received_ns: int
    created_at: str | None
    right_user: bool


@dataclass
class Clients:
    conn: Connection
    url: str
    slug: str
    users: list[tuple[str, str]]  # (user id, access token)
    concurrency: int
    wait_timeout: float
    receipts: list[Receipt] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)
    clients: dict[str, Any] = field(default_factory=dict)

    def _handler(self, user_id: str) -> Any:
        async def on_notification(data: dict[str, Any]) -> None:
            received = time.time_ns()
            meta = data.get("metadata") or {}
            self.receipts.append(
                Receipt(
                    seq=meta.get("seq"),
                    user_id=user_id,
                    received_ns=received,
                    created_at=data.get("created_at"),
                    right_user=data.get("user_id") == user_id,
                )
            )

        return on_notification

    async def _watch_lag(self) -> None:
        clock = time.perf_counter
        while True:
            started = clock()
            await asyncio.sleep(LAG_TICK)
            self.lag.append(max(0.0, clock() - started - LAG_TICK))
            if len(self.lag) > 200_000:
                del self.lag[:100_000]

    async def _connect_all(self, http: Any) -> tuple[list[str], list[str], float]:
        import socketio

        gate = asyncio.Semaphore(self.concurrency)
        failures: list[str] = []

        async def connect(user_id: str, token: str) -> None:
            client = socketio.AsyncClient(reconnection=False, http_session=http)
            client.on("notification:new", self._handler(user_id), namespace=NAMESPACE)
            async with gate:
                try:
                    await client.connect(
                        self.url,
                        namespaces=[NAMESPACE],
                        auth={"token": token},
                        headers={"X-Tenant": self.slug},
                        transports=["websocket"],
                        wait_timeout=self.wait_timeout,
                    )
                except Exception as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    return
            self.clients[user_id] = client

        started = time.perf_counter()
        await asyncio.gather(*(connect(uid, tok) for uid, tok in self.users))
        return sorted(self.clients), failures, time.perf_counter() - started

    def _lag_summary(self) -> dict[str, float]:
        ordered = sorted(self.lag) or [0.0]
        return {
            "p50_ms": ordered[len(ordered) // 2] * 1000.0,
            "p99_ms": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000.0,
            "max_ms": ordered[-1] * 1000.0,
        }

    async def main(self) -> None:
        import aiohttp

        lag_task = asyncio.create_task(self._watch_lag())
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            connected, failures, seconds = await self._connect_all(http)
            self.conn.send(
                (
                    "connected",
                    {
                        "users": connected,
                        "failures": failures[:5],
                        "failed": len(failures),
                        "seconds": seconds,
                        "lag": self._lag_summary(),
                    },
                )
            )
            while True:
                try:
                    name, _arg = await asyncio.to_thread(self.conn.recv)
                except (EOFError, OSError):
                    break
                if name == "clock":
                    self.conn.send(("clock", time.time_ns()))
                elif name == "start":
                    self.receipts.clear()
                    self.lag.clear()
                    self.conn.send(("start", None))
                elif name == "collect":
                    still = sum(1 for c in self.clients.values() if c.connected)
                    self.conn.send(
                        (
                            "collect",
                            {
                                "receipts": [r.__dict__ for r in self.receipts],
                                "lag": self._lag_summary(),
                                "still_connected": still,
                            },
                        )
                    )
                elif name == "stop":
                    break
        finally:
            gate = asyncio.Semaphore(self.concurrency)

            async def disconnect(client: Any) -> None:
                async with gate:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(client.disconnect(), 5)

            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.gather(*(disconnect(c) for c in self.clients.values())), 60)
            await http.close()
            lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lag_task
        with contextlib.suppress(Exception):
            self.conn.send(("stopped", None))


def run(
    conn: Connection, url: str, slug: str, users: list[tuple[str, str]], concurrency: int, wait_timeout: float
) -> None:
    """Process entry point (multiprocessing, spawn): serve the pipe until ``stop``."""
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # the stdlib loop works too, just slower
        runner = asyncio.run
    runner(Clients(conn, url, slug, users, concurrency, wait_timeout).main())
