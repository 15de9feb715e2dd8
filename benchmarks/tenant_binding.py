"""What binding the tenant costs per transaction (``after_begin`` + ``set_config``).

Creates a scratch database on a real PostgreSQL, migrates it with the kernel, creates two
workspaces (one enabled plugin row each, so row-level security has rows to filter), then times
whole transactions through ``marcus.db.engine.Database``:

* ``a`` app engine: begin, ``SELECT 1``, commit, no tenant bound;
* ``a2`` plain ``AsyncSession`` on the app engine: the same, without the tenant hook;
* ``b`` ``Database.tenant_transaction(org)`` with ``SELECT 1`` (tenant bound in ``after_begin``);
* ``c`` the same plus a ``SELECT`` on ``organization_plugins`` (forced RLS);
* ``d`` ``b`` on an engine without ``pool_pre_ping``: what the check-out ping costs.

Cases run interleaved in blocks after a warm-up, so drift hits them alike. Round trips per
transaction are counted once per case from a libpq trace (``ReadyForQuery`` messages).

    .venv/bin/python benchmarks/tenant_binding.py [-n 5000] [--warmup 300] [--max-seconds 45]

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from _common import say, server_url
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from marcus.db.engine import ORG_KEY, Database, TenantSession
from marcus.declarations import PluginManifest
from marcus.tenancy.models import OrganizationPlugin
from marcus.testing.harness import TestDatabase, create_database, create_tenant, drop_database, make_plugin

BENCH_PLUGIN = "bench"
SELECT_ONE = text("SELECT 1")

Transaction = Callable[[], Awaitable[None]]


@dataclass
class Case:
    key: str
    label: str
    run: Transaction
    engine: AsyncEngine
    samples: list[float]
    round_trips: int | None = None


def build_cases(db: Database, org_id: uuid.UUID) -> list[Case]:
    """The transactions to time; each returns after commit."""
    plain_sessions = async_sessionmaker(db.app_engine, expire_on_commit=False)
    # Same as the app engine but without the check-out ping (diagnostic, not the kernel's config).
    no_ping = create_async_engine(db.app_engine.url, pool_size=2, pool_pre_ping=False)
    no_ping_sessions = async_sessionmaker(no_ping, expire_on_commit=False, sync_session_class=TenantSession)
    plugins = select(OrganizationPlugin.plugin, OrganizationPlugin.enabled).where(
        OrganizationPlugin.organization_id == org_id
    )

    async def engine_tx() -> None:
        async with db.app_engine.begin() as conn:
            await conn.execute(SELECT_ONE)

    async def session_tx() -> None:
        async with plain_sessions() as session, session.begin():
            await session.execute(SELECT_ONE)

    async def tenant_tx() -> None:
        async with db.tenant_transaction(org_id) as session:
            await session.execute(SELECT_ONE)

    async def tenant_rls_tx() -> None:
        async with db.tenant_transaction(org_id) as session:
            rows = (await session.execute(plugins)).all()
        assert len(rows) == 1, f"expected this tenant's one plugin row under RLS, got {len(rows)}"

    async def tenant_no_ping_tx() -> None:
        session = no_ping_sessions()
        session.info[ORG_KEY] = org_id
        async with session, session.begin():
            await session.execute(SELECT_ONE)

    specs = [
        ("a", "app engine: begin / SELECT 1 / commit, no tenant", engine_tx, db.app_engine),
        ("a2", "AsyncSession, no tenant hook: begin / SELECT 1 / commit", session_tx, db.app_engine),
        ("b", "`tenant_transaction(org)`: bind + SELECT 1", tenant_tx, db.app_engine),
        ("c", "as b + SELECT 1 row of organization_plugins (RLS)", tenant_rls_tx, db.app_engine),
        ("d", "as b, engine without `pool_pre_ping` (diagnostic)", tenant_no_ping_tx, no_ping),
    ]
    return [Case(key=k, label=lbl, run=fn, engine=eng, samples=[]) for k, lbl, fn, eng in specs]


async def check_isolation(db: Database) -> None:
    """Sanity: without a tenant the app role sees no plugin rows (RLS fails closed)."""
    async with db.app_engine.connect() as conn:
        visible = (await conn.execute(text("SELECT count(*) FROM organization_plugins"))).scalar_one()
    assert visible == 0, f"the app role sees {visible} rows with no tenant bound: RLS is not in force"


async def count_round_trips(case: Case) -> int | None:
    """Round trips of one transaction: ReadyForQuery messages in a libpq trace of the pooled connection."""
    await case.run()  # leaves exactly one idle connection in the pool (runs are sequential)
    async with case.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        pgconn = raw.driver_connection.pgconn  # type: ignore[union-attr]
    with tempfile.TemporaryFile("w+") as trace:
        try:
            pgconn.trace(trace.fileno())
            await case.run()
        except Exception:  # tracing is libpq-build dependent: report n/a rather than fail
            return None
        finally:
            pgconn.untrace()
        trace.seek(0)
        return sum("\tReadyForQuery" in line and "\tB\t" in line for line in trace)


async def time_block(case: Case, count: int) -> None:
    clock = time.perf_counter
    run = case.run
    for _ in range(count):
        started = clock()
        await run()
        case.samples.append((clock() - started) * 1000.0)


async def measure(cases: list[Case], *, n: int, warmup: int, block: int, budget: float) -> float:
    """Warm up, then run the cases interleaved in blocks until each has ``n`` samples or time is up."""
    for case in cases:
        for _ in range(warmup):
            await case.run()
        case.round_trips = await count_round_trips(case)
    started = time.monotonic()
    while min(len(c.samples) for c in cases) < n and time.monotonic() - started < budget:
        for case in cases:
            await time_block(case, min(block, n - len(case.samples)))
    return time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(cases: list[Case], *, where: str, version: str, elapsed: float, warmup: int) -> str:
    by_key = {c.key: c for c in cases}
    lines = [
        f"## Tenant binding per transaction — {where}",
        "",
        f"PostgreSQL {version}; {min(len(c.samples) for c in cases)} transactions per case after {warmup} "
        f"warm-up, interleaved in blocks ({elapsed:.1f} s); one connection, sequential; times in ms.",
        "",
        "| case | transaction | round trips | mean | p50 | p99 | tx/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        mean = statistics.fmean(c.samples)
        trips = "n/a" if c.round_trips is None else str(c.round_trips)
        lines.append(
            f"| {c.key} | {c.label} | {trips} | {mean:.3f} | {percentile(c.samples, 0.5):.3f} "
            f"| {percentile(c.samples, 0.99):.3f} | {1000 / mean:,.0f} |"
        )

    def diff(x: str, y: str) -> str:
        mean = statistics.fmean(by_key[x].samples) - statistics.fmean(by_key[y].samples)
        p50 = percentile(by_key[x].samples, 0.5) - percentile(by_key[y].samples, 0.5)
        return f"{mean:+.3f} ms mean, {p50:+.3f} ms p50"

    lines += [
        "",
        f"- **Binding overhead (b - a): {diff('b', 'a')}** per transaction.",
        f"- of which the tenant hook and `set_config` round trip (b - a2): {diff('b', 'a2')}; "
        f"the ORM session itself (a2 - a): {diff('a2', 'a')}.",
        f"- RLS read of one row (c - b): {diff('c', 'b')}.",
        f"- `pool_pre_ping` check-out ping (b - d): {diff('b', 'd')}.",
        "",
    ]
    return "\n".join(lines)


async def run_benchmark(database: TestDatabase, args: argparse.Namespace, where: str) -> str:
    ours = await create_tenant(database, plugins=[BENCH_PLUGIN])
    await create_tenant(database, plugins=[BENCH_PLUGIN])  # a neighbour whose row RLS must hide
    db = database.db
    cases = build_cases(db, ours.id)
    try:
        await check_isolation(db)
        async with db.app_engine.connect() as conn:
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        say(f"timing {len(cases)} cases x {args.n} transactions ({where})")
        elapsed = await measure(cases, n=args.n, warmup=args.warmup, block=args.block, budget=args.max_seconds)
        return report(cases, where=where, version=version, elapsed=elapsed, warmup=args.warmup)
    finally:
        for engine in {c.engine for c in cases}:
            await engine.dispose()
        await database.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time whole transactions with and without the tenant binding.")
    parser.add_argument("-n", type=int, default=5000, help="timed transactions per case (default 5000)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed transactions per case first (default 300)")
    parser.add_argument("--block", type=int, default=250, help="transactions per case per round (default 250)")
    parser.add_argument(
        "--max-seconds", type=float, default=45.0, help="stop timing after this long, whatever n (default 45)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    url, where = server_url()
    plugin = make_plugin(PluginManifest(name=BENCH_PLUGIN, version="1"))
    say("creating and migrating a scratch database")
    database = create_database(url, [plugin])
    try:
        print(asyncio.run(run_benchmark(database, args, where)))
    finally:
        drop_database(database.admin_url)
        say(f"dropped {make_url(database.admin_url).database}")


if __name__ == "__main__":
    main()
