"""A real uvicorn server in the test's event loop, for Socket.IO and WebSocket clients."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from marcus.app import MarcusApp, create_app
from marcus.testing.harness import TestDatabase


@dataclass(frozen=True)
class LiveServer:
    """A served app: ``url`` for HTTP and Socket.IO clients, ``app.kernel`` for the test."""

    url: str
    app: MarcusApp

    def site(self, org: Any) -> str:
        """The base URL of ``org``'s portal on this server (``<slug>.localhost`` resolves locally)."""
        return f"http://{org.slug}.localhost:{urlsplit(self.url).port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def live_server(
    database: TestDatabase, plugins: Sequence[object] | None = None, **settings: Any
) -> AsyncIterator[LiveServer]:
    """Serve Marcus on 127.0.0.1 with uvicorn until the block ends."""
    cfg = database.settings.model_copy(update=settings) if settings else database.settings
    app = create_app(cfg, plugins=database.plugins if plugins is None else plugins)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            raise RuntimeError("the test server did not start") from task.exception() if task.done() else None
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
