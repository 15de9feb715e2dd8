"""What row-level security costs a list endpoint: 1,000 workspaces x 1,000 rows each.

Builds a scratch database migrated with the kernel, then 1,000 workspaces and 1,000,000
``activities`` rows (1,000 per workspace) in one ``INSERT ... SELECT generate_series`` (secondary
indexes dropped while loading and rebuilt after, then ``VACUUM ANALYZE``). Then times page 1
(20 rows, newest first) plus the total, the two statements ``marcus.pagination.paginate`` sends:

* **SQL, app role, RLS forced** (what ships): ``BEGIN``, ``set_config('marcus.org_id')``, count,
  page with ``WHERE organization_id = $1``, ``COMMIT`` as ``marcus_app`` (no BYPASSRLS);
* **SQL, platform role, BYPASSRLS**: the same statements, the policy not evaluated;
* **SQL, app role, RLS forced, no WHERE** (diagnostic): the policy alone filters;
* **HTTP** ``GET /api/v1/activities?page=1&limit=20`` as a workspace admin, in-process over
  ASGI (httpx), one request after the other: once with RLS forced on ``activities`` and once
  with ``ALTER TABLE activities DISABLE ROW LEVEL SECURITY`` (the app's own ``WHERE`` still
  filters), blocks interleaved so that both see the same machine.

    .venv/bin/python benchmarks/list_rls.py [--tenants 1000] [--rows 1000] [-n 1000] [--http-n 400]

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from _common import say, server_url

from marcus.db.engine import role_url
from marcus.db.roles import libpq_url
from marcus.testing.harness import TestDatabase, create_database, create_tenant, drop_database, running_app
from marcus.testing.users import TestUser, create_user

SECONDARY = {
    "ix_activities_recent": "(organization_id, id DESC)",
    "ix_activities_user": "(organization_id, user_id, id DESC)",
    "ix_activities_entity": "(organization_id, entity_id)",
}
COUNT = "SELECT count(*) FROM activities WHERE organization_id = %s"
PAGE = (
    "SELECT id, event, type, description, entity_id, actor_id, user_id, metadata, created_at"
    " FROM activities WHERE organization_id = %s ORDER BY id DESC LIMIT 20 OFFSET 0"
)
COUNT_POLICY_ONLY = "SELECT count(*) FROM activities"
PAGE_POLICY_ONLY = (
    "SELECT id, event, type, description, entity_id, actor_id, user_id, metadata, created_at"
    " FROM activities ORDER BY id DESC LIMIT 20 OFFSET 0"
)


def seed(admin_url: str, tenants: int, rows: int) -> list[uuid.UUID]:
    """Workspaces and their activity rows in bulk, as the administrator (setup, not measured)."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO organizations (id, slug, name)"
            " SELECT gen_random_uuid(), 'bulk-' || i, 'Bulk ' || i FROM generate_series(1, %s) AS i",
            (tenants,),
        )
        for name in SECONDARY:
            conn.execute(f"DROP INDEX {name}")
        started = time.monotonic()
        conn.execute(
            "INSERT INTO activities (organization_id, id, event, type, description, entity_id, user_id, metadata)"
            " SELECT o.id, gen_random_uuid(), 'bench.happened', 'bench', 'Row ' || i || ' of ' || o.slug,"
            "        gen_random_uuid(), NULL, jsonb_build_object('n', i)"
            " FROM organizations o CROSS JOIN generate_series(1, %s) AS i",
            (rows,),
        )
        say(f"  inserted in {time.monotonic() - started:.1f} s; building the indexes")
        for name, columns in SECONDARY.items():
            conn.execute(f"CREATE INDEX {name} ON activities {columns}")
        conn.execute("VACUUM ANALYZE activities")
        conn.execute("VACUUM ANALYZE organizations")
        return [r[0] for r in conn.execute("SELECT id FROM organizations ORDER BY slug").fetchall()]


def plans(app_url: str, platform_url: str, org: uuid.UUID) -> dict[str, str]:
    """``EXPLAIN`` of the count and the page, as the app role (RLS) and as the platform role."""
    found = {}
    for label, url in (("app role, RLS forced", app_url), ("platform role, BYPASSRLS", platform_url)):
        with psycopg.connect(libpq_url(url)) as conn, conn.transaction():
            conn.execute("SELECT set_config('marcus.org_id', %s, true)", (str(org),))
            lines = [r[0] for q in (COUNT, PAGE) for r in conn.execute(f"EXPLAIN (COSTS OFF) {q}", (org,))]
        found[label] = "\n".join(lines)
    return found


def set_rls(admin_url: str, *, enabled: bool) -> None:
    action = "ENABLE" if enabled else "DISABLE"
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(f"ALTER TABLE activities {action} ROW LEVEL SECURITY")


def sql_case(url: str, orgs: list[uuid.UUID], n: int, *, where: bool) -> list[int]:
    """``n`` list transactions (count + page), each for a random workspace; nanoseconds each."""
    rng = random.Random(11)
    count, page = (COUNT, PAGE) if where else (COUNT_POLICY_ONLY, PAGE_POLICY_ONLY)
    samples = []
    with psycopg.connect(libpq_url(url), prepare_threshold=0) as conn:
        for i in range(n + n // 10):  # the first tenth warms up
            org = rng.choice(orgs)
            params: Any = (org,) if where else ()
            start = time.perf_counter_ns()
            with conn.transaction():
                conn.execute("SELECT set_config('marcus.org_id', %s, true)", (str(org),))
                total = conn.execute(count, params).fetchone()
                rows = conn.execute(page, params).fetchall()
            elapsed = time.perf_counter_ns() - start
            if total is None or len(rows) != 20:
                raise RuntimeError(f"workspace {org}: {total} rows in all, {len(rows)} on the page")
            if i >= n // 10:
                samples.append(elapsed)
    return samples


async def http_case(database: TestDatabase, admins: list[TestUser], n: int, *, block: int) -> dict[bool, list[int]]:
    """The endpoint, RLS on and off in alternating blocks of ``block`` requests."""
    samples: dict[bool, list[int]] = {True: [], False: []}
    async with running_app(database, plugins=[], worker=False, tenant_cache_ttl=5.0) as h:
        for user in admins:  # warm-up: tenant cache, policy, plan cache
            assert (await h.client.get("/api/v1/activities?limit=20", headers=user.headers)).status_code == 200
        rng = random.Random(5)
        for done in range(0, n, block):
            for enabled in (True, False):
                set_rls(database.admin_url, enabled=enabled)
                await h.client.get("/api/v1/activities?limit=20", headers=admins[0].headers)  # re-plan
                for _ in range(min(block, n - done)):
                    user = rng.choice(admins)
                    start = time.perf_counter_ns()
                    response = await h.client.get("/api/v1/activities?page=1&limit=20", headers=user.headers)
                    samples[enabled].append(time.perf_counter_ns() - start)
                    body = response.json()
                    if response.status_code != 200 or len(body["items"]) != 20:
                        raise RuntimeError(f"unexpected answer {response.status_code}: {response.text[:300]}")
        set_rls(database.admin_url, enabled=True)
    return samples


def pct(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


def row(label: str, samples: list[int], base: list[int] | None) -> str:
    extra = ""
    if base:
        extra = f"{pct(samples, 0.5) - pct(base, 0.5):+.2f} ms"
    return (
        f"| {label} | {len(samples):,} | {pct(samples, 0.5):.2f} | {pct(samples, 0.95):.2f} | "
        f"{pct(samples, 0.99):.2f} | {extra} |"
    )


async def measure(args: argparse.Namespace, database: TestDatabase) -> list[str]:
    say(f"creating {args.http_tenants} workspaces with an admin each (for the HTTP case)")
    admins = []
    for _ in range(args.http_tenants):
        org = await create_tenant(database)
        admins.append(await create_user(database, org, role="admin"))
    say(f"seeding {args.tenants} more workspaces, then {args.rows} activities for every workspace")
    started = time.monotonic()
    orgs = seed(database.admin_url, args.tenants, args.rows)
    with psycopg.connect(libpq_url(database.admin_url)) as conn:
        total = conn.execute("SELECT count(*) FROM activities").fetchone()
    seeded = time.monotonic() - started
    say(f"  {total[0] if total else 0:,} rows in {seeded:.1f} s")
    app_url = role_url(database.admin_url, database.settings.db_app_role)
    platform_url = role_url(database.admin_url, database.settings.db_platform_role)
    cases: list[tuple[str, Callable[[], list[int]]]] = [
        ("app role, RLS forced, `WHERE organization_id` (ships)", lambda: sql_case(app_url, orgs, args.n, where=True)),
        ("platform role, BYPASSRLS, same SQL", lambda: sql_case(platform_url, orgs, args.n, where=True)),
        ("app role, RLS forced, no `WHERE` (policy only)", lambda: sql_case(app_url, orgs, args.n, where=False)),
    ]
    results = {}
    for label, run in cases:
        say(f"SQL: {label}")
        results[label] = await asyncio.to_thread(run)
    say(f"HTTP: {args.http_n} requests with RLS, {args.http_n} without, interleaved")
    http = await http_case(database, admins, args.http_n, block=args.block)
    base = results[cases[1][0]]
    explained = plans(app_url, platform_url, orgs[0])
    return [
        f"{len(orgs):,} workspaces x {args.rows:,} `activities` rows "
        f"({total[0] if total else 0:,} rows, seeded in {seeded:.0f} s). One list = the total + page 1 of 20, "
        "newest first (two statements, as `paginate` sends them).",
        "",
        "| SQL, one transaction per list (BEGIN, set_config, count, page, COMMIT) | lists | p50 ms | p95 ms | p99 ms "
        "| p50 vs BYPASSRLS |",
        "|---|---:|---:|---:|---:|---:|",
        *(row(label, results[label], None if label == cases[1][0] else base) for label, _ in cases),
        "",
        "| `GET /api/v1/activities?page=1&limit=20` as a workspace admin, in-process | requests | p50 ms | p95 ms "
        "| p99 ms | p50 vs RLS off |",
        "|---|---:|---:|---:|---:|---:|",
        row("RLS enabled and forced (ships)", http[True], http[False]),
        row("RLS disabled on `activities` (comparison only)", http[False], None),
        "",
        "Plans of the count and the page (`EXPLAIN (COSTS OFF)`):",
        "",
        *(
            f"{label}:\n\n" + "\n".join(f"    {line}" for line in plan.splitlines()) + "\n"
            for label, plan in explained.items()
        ),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000, help="workspaces seeded in bulk")
    parser.add_argument("--rows", type=int, default=1000, help="activities per workspace")
    parser.add_argument("-n", type=int, default=1000, help="timed SQL lists per case")
    parser.add_argument("--http-tenants", type=int, default=20, help="extra workspaces with an admin, for HTTP")
    parser.add_argument("--http-n", type=int, default=400, help="timed requests per HTTP case")
    parser.add_argument("--block", type=int, default=100, help="HTTP requests per block before switching RLS")
    args = parser.parse_args()
    url, where = server_url()
    database = create_database(url, [])
    try:
        lines = await measure(args, database)
    finally:
        await database.dispose()
        drop_database(database.admin_url)
    print("## List endpoints with 1,000 workspaces x 1,000 rows: the cost of row-level security\n")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{when}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, {where}.\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
