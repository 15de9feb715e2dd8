"""What an authorization check costs: pycasbin RBAC with domains as ``marcus.rbac`` runs it.

Builds a scratch database on a real PostgreSQL, migrated with the kernel and a synthetic
plugin declaring 40 permissions (plus the kernel's own), then 1,000 workspaces with 8 users
each (1 owner, 1 admin, 2 staff, 4 customers) and their role assignments. Then times, through
``marcus.rbac.PolicyEnforcer`` with the real role templates:

* ``first check of a tenant``: lazy load of its assignments through a tenant session (RLS);
* ``casbin enforce``: the casbin decision itself, no memo (``any`` then ``own``, as ``check`` asks);
* ``check, memo warm``: what ``require`` pays per request once a tenant is loaded;
* ``version poll``: one replica comparing the versions of all 1,000 held tenants (one query).

    .venv/bin/python benchmarks/rbac_enforce.py [-n 20000] [--tenants 1000] [--max-seconds 60]

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg
from _common import say, server_url

from marcus.db.roles import libpq_url
from marcus.declarations import Permission, PluginManifest, Scope
from marcus.plugins import load_plugins
from marcus.rbac.enforcer import PolicyEnforcer
from marcus.testing.harness import TestDatabase, create_database, drop_database, make_plugin

TARGET_US = 100.0
ROLES = ("owner", "admin", "staff", "staff", "customer", "customer", "customer", "customer")
PLUGINS = ("bookings", "invoices", "documents", "blog", "services", "crm", "stock", "reports")
ACTIONS = (("item", "read"), ("item", "write"), ("item", "delete"), ("report", "read"), ("setting", "manage"))


def plugin_permissions(plugin: str) -> list[Permission]:
    """5 permissions shaped like a real plugin's: customers read their own, staff read and write."""
    perms = []
    for resource, action in ACTIONS:
        grants: dict[str, Scope] = {}
        if action == "read":
            grants = {"customer": "own", "staff": "any"}
        elif action == "write":
            grants = {"staff": "any"}
        perms.append(Permission(name=f"{plugin}.{resource}:{action}", description="synthetic", grants=grants))
    return perms


def synthetic_plugins() -> list[object]:
    """8 plugins x 5 permissions = 40."""
    return [
        make_plugin(
            PluginManifest(name=name, version="1"), register_permissions=lambda name=name: plugin_permissions(name)
        )
        for name in PLUGINS
    ]


def populate(admin_url: str, tenants: int) -> list[tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]]:
    """Workspaces, users and assignments in bulk (as the administrator: setup, not measured)."""
    made = []
    with psycopg.connect(libpq_url(admin_url)) as conn, conn.cursor() as cur:
        orgs, users, assignments = [], [], []
        for i in range(tenants):
            org = uuid.uuid4()
            orgs.append((org, f"bench-{i:05d}", f"Bench {i}"))
            members = []
            for j, role in enumerate(ROLES):
                user = uuid.uuid4()
                users.append((org, user, f"u{j}@bench-{i}.example"))
                assignments.append((org, uuid.uuid4(), user, role))
                members.append((user, role))
            made.append((org, members))
        cur.executemany("INSERT INTO organizations (id, slug, name) VALUES (%s, %s, %s)", orgs)
        cur.executemany("INSERT INTO users (organization_id, id, email, is_verified) VALUES (%s, %s, %s, true)", users)
        cur.executemany(
            "INSERT INTO role_assignments (organization_id, id, user_id, role) VALUES (%s, %s, %s, %s)", assignments
        )
    return made


def stats(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # noqa: E731
    return statistics.fmean(ordered) / 1000, p(0.5), p(0.99)


def row(label: str, samples_ns: list[int], note: str = "") -> str:
    mean, p50, p99 = stats(samples_ns)
    return f"| {label} | {len(samples_ns):,} | {mean:,.1f} | {p50:,.1f} | {p99:,.1f} | {note} |"


async def measure(args: argparse.Namespace, database: TestDatabase) -> list[str]:
    say(f"creating {args.tenants} workspaces x {len(ROLES)} users")
    tenants = populate(database.admin_url, args.tenants)
    registry = load_plugins(database.plugins)
    rbac = PolicyEnforcer(database.db, registry.permissions, recheck_seconds=3600)
    permissions = list(rbac.permissions)
    deadline = time.monotonic() + args.max_seconds
    lines = []

    say("first check of every tenant (lazy load through a tenant session)")
    loads = []
    for org, members in tenants:
        start = time.perf_counter_ns()
        await rbac.check(org, members[0][0], permissions[0])
        loads.append(time.perf_counter_ns() - start)

    rng = random.Random(7)
    requests = []
    for _ in range(args.n):
        org, members = rng.choice(tenants)
        user, role = rng.choice(members)
        requests.append((org, user, rng.choice(permissions), role))

    say("casbin enforce, no memo")
    enforce = _timed(lambda o, u, p: rbac.enforce(o, u, p), requests, deadline)
    by_role: dict[str, list[int]] = {}
    for (_, _, _, role), ns in zip(requests, enforce, strict=False):
        by_role.setdefault(role, []).append(ns)
    foreign = [(tenants[(i + 1) % len(tenants)][0], u, p, "other tenant") for i, (_, u, p, _) in enumerate(requests)]
    denied = _timed(lambda o, u, p: rbac.enforce(o, u, p), foreign[: len(requests) // 4], deadline)

    say("check (what require pays), memo warm")
    for org, user, permission, _ in requests:
        await rbac.check(org, user, permission)
    warm = []
    for org, user, permission, _ in requests:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter_ns()
        await rbac.check(org, user, permission)
        warm.append(time.perf_counter_ns() - start)

    say("version poll over every held tenant")
    polls = []
    for _ in range(20):
        start = time.perf_counter_ns()
        await rbac.poll_once()
        polls.append(time.perf_counter_ns() - start)

    held, g_rules, p_rules = rbac.held
    lines += [
        f"Policy: {len(rbac.permissions)} permissions ({len(permissions) - 40} kernel + 40 synthetic), "
        f"{p_rules} `p` rules in domain `*` (templates + grant atoms), {g_rules} `g` links for "
        f"{held} tenants. A check scans the `p` rules of one (permission, scope): at most 4.",
        "",
        "| case | checks | mean (µs) | p50 (µs) | p99 (µs) | note |",
        "|---|---:|---:|---:|---:|---|",
        row("check, memo warm (per request)", warm, "what `require` costs once the tenant is loaded"),
        row("casbin enforce, all roles", enforce, "`any`, then `own` when needed"),
        *(row(f"casbin enforce, {role}", ns) for role, ns in sorted(by_role.items())),
        row("casbin enforce, user of another tenant", denied, "denied: both passes"),
        row("first check of a tenant", loads, "lazy load: one tenant transaction + install"),
        row("version poll, all tenants held", polls, "one query per replica per interval"),
        "",
    ]
    mean_warm, mean_enforce = stats(warm)[0], stats(enforce)[0]
    verdict = lambda v: "meets" if v < TARGET_US else "misses"  # noqa: E731
    lines.append(
        f"- Target < {TARGET_US:.0f} µs per check: the per-request check ({mean_warm:.1f} µs mean) "
        f"{verdict(mean_warm)} it; a cold casbin decision ({mean_enforce:.1f} µs mean) {verdict(mean_enforce)} it."
    )
    return lines


def _timed(call: Callable[[uuid.UUID, uuid.UUID, str], object], requests: list, deadline: float) -> list[int]:
    samples = []
    for org, user, permission, _ in requests:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter_ns()
        call(org, user, permission)
        samples.append(time.perf_counter_ns() - start)
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="checks per case")
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="stop timing a case after this long")
    args = parser.parse_args()
    url, where = server_url()
    database = create_database(url, synthetic_plugins())
    try:
        lines = await measure(args, database)
    finally:
        await database.dispose()
        drop_database(database.admin_url)
    print("## RBAC enforce latency (pycasbin, RBAC with domains)\n")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{when}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, {where}.\n")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
