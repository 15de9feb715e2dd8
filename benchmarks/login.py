"""Login throughput through the in-process ASGI app, and what authentication costs per request.

Creates a scratch database on a real PostgreSQL, migrates it, creates one workspace (no login
code step) with ``--users`` verified customers whose passwords are hashed with the production
Argon2 cost (or the one given), then, with ``--concurrency`` clients through
``httpx.ASGITransport`` for ``--seconds`` each (rate limits off):

* ``POST /api/v1/auth/login`` (Argon2 verify + session + refresh token + roles, one commit);
* ``POST /api/v1/auth/refresh`` (rotation, no Argon2);
* ``GET /api/v1/me`` (bearer check: JWT + one user/session statement, then the profile).

It also counts the SQL statements one ``GET /api/v1/me`` sends, and times one Argon2 hash.

    .venv/bin/python benchmarks/login.py [--users 32] [--concurrency 8] [--seconds 8]

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from _common import say, server_url
from asgi_lifespan import LifespanManager
from sqlalchemy import event

from marcus.app import create_app
from marcus.auth.passwords import password_hasher
from marcus.config import Settings
from marcus.testing.harness import create_database, create_tenant, drop_database
from marcus.testing.users import create_user

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"


async def hammer(
    seconds: float, concurrency: int, call: Callable[[int], Awaitable[httpx.Response]]
) -> tuple[int, list[float], int]:
    """Run ``call(worker)`` from ``concurrency`` workers for ``seconds``: (done, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await call(index)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                errors += 1

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), latencies, errors


def row(label: str, seconds: float, done: int, latencies: list[float], errors: int) -> str:
    ms = sorted(x * 1000 for x in latencies) or [0.0]
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"| {label} | {done / seconds:,.0f} | {statistics.median(ms):.1f} | {p95:.1f} | {done} | {errors} |"


async def measure(args: argparse.Namespace, admin_server: str) -> list[str]:
    overrides: dict[str, Any] = {
        "rate_limit_enabled": False,
        "worker": False,
        "data_dir": ROOT / ".marcus" / "bench-files",
    }
    if args.memory_cost:
        overrides["argon2_memory_cost"] = args.memory_cost
    if args.time_cost:
        overrides["argon2_time_cost"] = args.time_cost
    defaults = Settings()
    overrides.setdefault("argon2_memory_cost", defaults.argon2_memory_cost)
    overrides.setdefault("argon2_time_cost", defaults.argon2_time_cost)
    overrides.setdefault("argon2_parallelism", defaults.argon2_parallelism)
    say("creating and migrating a scratch database")
    database = await asyncio.to_thread(create_database, admin_server, [], **overrides)
    try:
        settings = database.settings
        org = await create_tenant(database)
        say(f"creating {args.users} users (Argon2 m={settings.argon2_memory_cost} KiB, t={settings.argon2_time_cost})")
        users = [
            await create_user(database, org, email=f"user{i}@bench.example.com", password=PASSWORD)
            for i in range(args.users)
        ]
        started = time.perf_counter()
        for _ in range(5):
            password_hasher(settings).hash(PASSWORD)
        hash_ms = (time.perf_counter() - started) / 5 * 1000
        app = create_app(settings, plugins=[])
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        lines = [
            "## Login throughput (in-process ASGI app)",
            "",
            f"Argon2id cost: memory {settings.argon2_memory_cost} KiB, time {settings.argon2_time_cost}, "
            f"parallelism {settings.argon2_parallelism}: one hash takes {hash_ms:.1f} ms on this machine. "
            f"{args.concurrency} concurrent clients, {args.seconds:.0f} s per row, {args.users} users, "
            "rate limits off.",
            "",
            "| request | per second | median ms | p95 ms | requests | errors |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        async with (
            LifespanManager(app.api),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://localhost", headers={"X-Tenant": org.slug}
            ) as client,
        ):
            refresh = [u.refresh_token for u in users]
            headers = [{"Authorization": f"Bearer {u.access_token}"} for u in users]

            async def login(i: int) -> httpx.Response:
                user = users[(i * 7 + int(time.perf_counter() * 1000)) % len(users)]
                return await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})

            async def rotate(i: int) -> httpx.Response:
                slot = i % len(refresh)
                response = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh[slot]})
                if response.status_code == 200:
                    refresh[slot] = response.json()["refresh_token"]
                return response

            async def me(i: int) -> httpx.Response:
                return await client.get("/api/v1/me", headers=headers[i % len(headers)])

            engine = app.kernel.db.app_engine.sync_engine
            event.listen(engine, "before_cursor_execute", count)
            assert (await me(0)).status_code == 200
            event.remove(engine, "before_cursor_execute", count)
            for label, call, workers in (
                ("POST /auth/login (Argon2 verify)", login, args.concurrency),
                ("POST /auth/refresh (rotation)", rotate, min(args.concurrency, len(refresh))),
                ("GET /me (bearer check + profile)", me, args.concurrency),
            ):
                say(f"running {label}")
                await me(0)
                done, latencies, errors = await hammer(args.seconds, workers, call)
                lines.append(row(label, args.seconds, done, latencies, errors))
        lines += [
            "",
            f"`GET /api/v1/me` sends {statements} SQL statements: the tenant binding (`set_config`), the bearer "
            "check (one `users` ⋈ `auth_sessions` statement by primary keys), the profile row and the roles.",
        ]
        return lines
    finally:
        await database.dispose()
        await asyncio.to_thread(drop_database, database.admin_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--memory-cost", type=int, default=None, help="Argon2 memory in KiB (default: settings)")
    parser.add_argument("--time-cost", type=int, default=None, help="Argon2 iterations (default: settings)")
    args = parser.parse_args()
    url, where = server_url()
    lines = asyncio.run(measure(args, url))
    print("\n".join([*lines, "", f"Server: {where}."]))


if __name__ == "__main__":
    main()
