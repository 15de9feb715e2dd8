"""Memory per process: the resident set (RSS) of ``marcus serve`` and ``marcus worker``, idle and
under load.

Builds a scratch database migrated with every installed plugin, one workspace with an admin
and 50 customers, then starts ``marcus serve --no-worker`` and ``marcus worker`` as separate
processes (the split a scaled deployment runs; ``marcus.testing.processes``). RSS is read
from ``/proc/<pid>/status`` (``VmRSS``, and ``VmHWM``, the peak) of each process:

* **idle**: ``--idle`` seconds after both are ready;
* **under load**: ``--clients`` concurrent HTTP clients for ``--seconds``: each loops over
  ``GET /api/v1/notifications`` (a customer's list), ``GET /api/v1/users`` (the admin's list of
  members) and ``POST /api/v1/notifications/send`` to 10 customers (the API writes an outbox
  row; the worker delivers it: 10 notifications, activities, live pushes), sampled every 0.2 s;
* **after**: ``--idle`` seconds after the load stops and the worker has drained the outbox.

    .venv/bin/python benchmarks/memory.py [--clients 16] [--seconds 15] [--idle 3]

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
from _common import say, server_url

from marcus.db.roles import libpq_url
from marcus.testing.harness import TestDatabase, create_database, create_tenant, drop_database
from marcus.testing.processes import MarcusProcess, process_env, spawn
from marcus.testing.users import TestUser, create_user


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Vm")
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


async def client_loop(base: str, admin: TestUser, customers: list[TestUser], stop: float, counts: Counter[str]) -> None:
    rng = random.Random()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < stop:
            customer = rng.choice(customers)
            calls = [
                client.get("/api/v1/notifications?limit=20", headers=customer.headers),
                client.get("/api/v1/users?limit=20", headers=admin.headers),
                client.post(
                    "/api/v1/notifications/send",
                    headers=admin.headers,
                    json={
                        "title": "Load",
                        "message": "memory benchmark",
                        "user_ids": [str(c.id) for c in rng.sample(customers, 10)],
                    },
                ),
            ]
            for call in calls:
                response = await call
                counts["ok" if response.status_code < 400 else f"http {response.status_code}"] += 1


async def sample(processes: dict[str, MarcusProcess], stop: float) -> dict[str, int]:
    peaks = dict.fromkeys(processes, 0)
    while time.monotonic() < stop:
        for name, process in processes.items():
            peaks[name] = max(peaks[name], rss_kib(process.pid)[0])
        await asyncio.sleep(0.2)
    return peaks


def pending(admin_url: str) -> int:
    with psycopg.connect(libpq_url(admin_url)) as conn:
        row = conn.execute("SELECT count(*) FROM event_outbox WHERE status = 'pending'").fetchone()
    return int(row[0]) if row else 0


async def drained(admin_url: str, *, seconds: float) -> int:
    """Events still pending once the worker emptied the outbox, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        left = pending(admin_url)
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.5)


async def measure(args: argparse.Namespace, database: TestDatabase) -> list[str]:
    org = await create_tenant(database)
    admin = await create_user(database, org, role="admin")
    customers = [await create_user(database, org) for _ in range(50)]
    await database.dispose()
    env = process_env(database, MARCUS_TENANT_CACHE_TTL="5", MARCUS_RATE_LIMIT_ENABLED="false")
    folder = Path(tempfile.mkdtemp(prefix="marcus-bench-memory-"))
    api = spawn(["serve", "--no-migrate", "--no-worker"], env, log_dir=folder)
    worker = spawn(["worker"], env, log_dir=folder)
    processes = {"API (`marcus serve --no-worker`)": api, "worker (`marcus worker`)": worker}
    try:
        await asyncio.gather(api.wait_ready(), worker.wait_ready())
        await asyncio.sleep(args.idle)
        idle = {name: rss_kib(p.pid)[0] for name, p in processes.items()}
        say(f"load: {args.clients} clients for {args.seconds:.0f} s")
        counts: Counter[str] = Counter(ok=0)
        stop = time.monotonic() + args.seconds
        assert api.url is not None
        loops = [client_loop(api.url, admin, customers, stop, counts) for _ in range(args.clients)]
        peaks, *_ = await asyncio.gather(sample(processes, stop), *loops)
        left = await drained(database.admin_url, seconds=120)
        await asyncio.sleep(args.idle)
        after = {name: rss_kib(p.pid) for name, p in processes.items()}
    finally:
        await asyncio.gather(*(p.stop() for p in processes.values()), return_exceptions=True)
    mib = lambda kib: f"{kib / 1024:.0f}"  # noqa: E731
    return [
        f"One workspace, an admin and 50 customers; every installed plugin loaded. Load: {args.clients} clients "
        f"for {args.seconds:.0f} s, {counts['ok']:,} requests answered "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()) if k != 'ok') or 'no errors'}); "
        f"{'the worker drained the outbox' if not left else f'{left} events still pending after 2 min'}.",
        "",
        "| process | idle RSS MiB | under load, highest sample MiB | after the load MiB | peak (VmHWM) MiB |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {mib(idle[name])} | {mib(peaks[name])} | {mib(after[name][0])} | {mib(after[name][1])} |"
            for name in processes
        ),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds idle before each idle reading")
    args = parser.parse_args()
    url, where = server_url()
    database = create_database(url, None)
    try:
        lines = await measure(args, database)
    finally:
        await database.dispose()
        drop_database(database.admin_url)
    print("## Memory per process (RSS), idle and under load\n")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{when}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, {where}.\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
