"""Marcus as real processes, for tests of what only several processes show: ``marcus serve``
and ``marcus worker`` subprocesses on 127.0.0.1 sharing one test database (and Redis), each
logging to its own file, with bounded waits for readiness and a graceful stop.

``async with marcus_process(["serve", "--no-worker"], env) as api: httpx.get(api.url + "/readyz")``
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from marcus.testing.harness import TestDatabase
from marcus.testing.server import free_port

READY_SECONDS = 60.0
STOP_SECONDS = 30.0
WORKER_READY_LINE = "background worker started"


def process_env(database: TestDatabase, **overrides: str) -> dict[str, str]:
    """The environment of a Marcus process on ``database``: this one's, minus its ``MARCUS_*``
    settings, plus the test database, test mode, plain logs and cheap password hashing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARCUS_") or k.startswith("MARCUS_TEST_")}
    env.update(
        MARCUS_DATABASE_URL=database.admin_url,
        MARCUS_ENV="test",
        MARCUS_LOG_JSON="false",
        MARCUS_DATA_DIR=str(database.settings.data_dir),
        MARCUS_ARGON2_TIME_COST="1",
        MARCUS_ARGON2_MEMORY_COST="1024",
    )
    env.update(overrides)
    return env


@dataclass
class MarcusProcess:
    """One running ``marcus`` command; ``url`` is set for ``serve``."""

    command: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    async def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        """Until ``/readyz`` answers 200 (serve) or the worker says it started; raises otherwise."""
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.returncode is not None:
                    raise RuntimeError(f"marcus {' '.join(self.command)} exited {self.returncode}:\n{self.output()}")
                if await self._ready(client):
                    return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"marcus {' '.join(self.command)} not ready after {seconds}s:\n{self.output()}")

    async def _ready(self, client: httpx.AsyncClient) -> bool:
        if self.url is None:
            return WORKER_READY_LINE in self.output()
        with contextlib.suppress(httpx.HTTPError):
            return (await client.get(f"{self.url}/readyz")).status_code == 200
        return False

    async def wait_exit(self, seconds: float = STOP_SECONDS) -> int:
        """The exit code, waiting at most ``seconds`` (without blocking the event loop)."""
        deadline = time.monotonic() + seconds
        while (code := self.returncode) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"marcus {' '.join(self.command)} still running after {seconds}s")
            await asyncio.sleep(0.05)
        return code

    async def stop(self, seconds: float = STOP_SECONDS) -> int:
        """SIGTERM, then the exit code; SIGKILL if it does not stop in time."""
        if self.returncode is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return await self.wait_exit(seconds)
        except TimeoutError:
            self.popen.kill()
            self.popen.wait(10)
            raise


def spawn(command: Sequence[str], env: Mapping[str, str], *, log_dir: Path | None = None) -> MarcusProcess:
    """Start ``marcus <command>`` with ``env``; a ``serve`` gets a free port on 127.0.0.1."""
    args, url = list(command), None
    if args[:1] == ["serve"]:
        port = free_port()
        args += ["--host", "127.0.0.1", "--port", str(port)]
        url = f"http://127.0.0.1:{port}"
    folder = log_dir or Path(tempfile.mkdtemp(prefix="marcus-proc-"))
    log_path = folder / f"marcus-{args[0]}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-c", "from marcus.cli import main; main()", *args],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return MarcusProcess(command=args, popen=popen, log_path=log_path, url=url)


@contextlib.asynccontextmanager
async def marcus_process(
    command: Sequence[str], env: Mapping[str, str], *, log_dir: Path | None = None
) -> AsyncIterator[MarcusProcess]:
    """A ready ``marcus`` process for the block, stopped (SIGTERM) after it."""
    process = spawn(command, env, log_dir=log_dir)
    try:
        await process.wait_ready()
        yield process
    finally:
        if process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await process.stop()
