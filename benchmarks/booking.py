"""Booking throughput and latency of the appointments plugin, next to the raw-SQL ceiling.

    .venv/bin/python benchmarks/booking.py [--seconds 10] [--clients 1,16,64] [--relay]
    MARCUS_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/booking.py

What it does, on a scratch database migrated with the services and appointments plugins:

1. **Booking over HTTP.** A workspace (Europe/Berlin), one service, 64 customers with real
   sign-in sessions, and tens of thousands of one-minute slots. The API runs as its own process
   (``_booking_server.py``: ``create_app`` + ``uvicorn.run`` with ``marcus serve``'s options,
   ``MARCUS_ENV=prod``), by default without the in-process outbox relay (``--relay`` turns it
   on: then the same process also delivers every ``appointments.booked`` event: activity,
   notification, live push). A second process (``_booking_load.py``, aiohttp on uvloop) runs
   1, 16 and 64 concurrent clients, each on one keep-alive connection, for ``--seconds`` each
   after a 2 s warm-up; every request books a different free slot (``POST /api/v1/appointments``),
   so every request should succeed: anything but 201 is an error. Afterwards the database is
   checked: one appointment per booked slot, ``booked`` matching, numbers without gaps.
2. **The raw-SQL ceiling.** ``pgbench -M prepared`` runs the same transaction a booking request
   runs, as the app role under forced RLS: ``BEGIN``, the tenant binding ``set_config``, the
   session check of ``verify_token``, the booking statement (``booking.BOOK_AND_PUBLISH``: claim,
   number, appointment, outbox row), ``COMMIT``; at the same client counts, each client booking
   its own slots.
3. **Listing** a customer's own appointments, page 1 of 20 out of 4,000, one client, sequential,
   after ``VACUUM ANALYZE appointments`` (statistics and visibility map as autovacuum leaves them),
   with aiohttp over one keep-alive connection (the load generator's client).
4. **PDF export** of those 4,000 appointments (``GET /api/v1/appointments/export/pdf``), 5 times.
5. **Statements per booking request**, counted on an in-process app with a cursor listener.

Progress goes to stderr, the markdown report to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import marcus_appointments.plugin as appointments_plugin
import marcus_services.plugin as services_plugin
import psycopg
from _common import ROOT, say, server_url
from marcus_appointments.booking import _CLAIM, _OUTBOX, _RESULT
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from marcus.auth.models import User
from marcus.auth.passwords import hash_password
from marcus.auth.sessions import open_session
from marcus.db.roles import libpq_url
from marcus.rbac.models import RoleAssignment
from marcus.rbac.version import bump_version
from marcus.testing.factories import OrganizationFactory
from marcus.testing.harness import TestDatabase, create_database, create_tenant, drop_database, running_app
from marcus.testing.server import free_port

HERE = Path(__file__).resolve().parent
CUSTOMERS = 64
LIST_TOTAL = 4000
CONSISTENT = "every booked slot has exactly one appointment; the numbers have no gap"


@dataclass
class Setup:
    database: TestDatabase
    org_id: uuid.UUID
    slug: str
    service_id: uuid.UUID
    tokens: list[str]
    sessions: list[tuple[uuid.UUID, uuid.UUID]]  # (user id, session id) for the pgbench script
    lister_token: str
    next_slot: int = 1


def slot_uuid(n: int) -> str:
    """Benchmark slots have predictable ids: slot n is 00000000-0000-0000-0000-<n in hex>."""
    return str(uuid.UUID(int=n))


# ------------------------------------------------------------------------------------ setup


async def prepare(database: TestDatabase, slots: int) -> Setup:
    organization = OrganizationFactory.build(settings={"time_zone": "Europe/Berlin", "currency": "EUR"})
    org = await create_tenant(database, plugins={"services": {}, "appointments": {}}, organization=organization)
    settings = database.settings
    service_id = uuid.uuid4()
    password_hash = await hash_password(settings, secrets.token_urlsafe(12))
    async with database.db.tenant_transaction(org.id) as session:
        await session.execute(
            text(
                "INSERT INTO services (organization_id, id, slug, name, status, price, duration_minutes)"
                " VALUES (:org, :id, 'consulting', 'Consulting', 'active', 120, 60)"
            ),
            {"org": org.id, "id": service_id},
        )
        users = [
            User(
                organization_id=org.id,
                email=f"customer-{i:03d}@bench.example",
                password_hash=password_hash,
                first_name="Bench",
                last_name=f"Customer {i}",
                is_verified=True,
            )
            for i in range(CUSTOMERS + 1)
        ]
        session.add_all(users)
        await session.flush()
        session.add_all(RoleAssignment(organization_id=org.id, user_id=u.id, role="customer") for u in users)
        await bump_version(session, org.id)
        await session.flush()
        opened = [await open_session(session, settings, user=u, user_agent="booking-benchmark") for u in users]
        auth_ids = await session.execute(
            text("SELECT user_id, id FROM auth_sessions WHERE organization_id = :org ORDER BY created_at"),
            {"org": org.id},
        )
        pairs = [(r[0], r[1]) for r in auth_ids]
        await session.execute(
            text(
                "INSERT INTO appointments_slots (organization_id, id, service_id, starts_at, ends_at)"
                " SELECT :org, CAST(lpad(to_hex(n), 32, '0') AS uuid), :service,"
                "        date_trunc('hour', now()) + interval '1 day' + n * interval '1 minute',"
                "        date_trunc('hour', now()) + interval '1 day' + (n + 1) * interval '1 minute'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"org": org.id, "service": service_id, "count": slots},
        )
        lister = users[-1]
        await session.execute(
            text(
                "INSERT INTO appointments (organization_id, id, number, customer_id, service_id, starts_at, ends_at,"
                "                          meeting_type, status, note, price)"
                " SELECT :org, gen_random_uuid(), 'APPT-L' || lpad(CAST(n AS text), 6, '0'), :customer, :service,"
                "        now() - interval '400 days' + n * interval '3 hours',"
                "        now() - interval '400 days' + n * interval '3 hours' + interval '1 hour',"
                "        (ARRAY['Virtual', 'InPerson', 'Phone'])[1 + n % 3],"
                "        (ARRAY['Completed', 'Cancelled'])[1 + n % 2],"
                "        'Benchmark appointment number ' || n, 120"
                " FROM generate_series(1, :total) AS n"
            ),
            {"org": org.id, "customer": lister.id, "service": service_id, "total": LIST_TOTAL},
        )
    # Statistics and visibility maps, as a live database has them after autovacuum.
    with psycopg.connect(libpq_url(database.admin_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE appointments_slots, appointments, services, users, auth_sessions")
        conn.execute("CREATE SEQUENCE booking_bench_numbers START 10000000")  # the diagnostic pgbench run only
        conn.execute(f"GRANT USAGE ON SEQUENCE booking_bench_numbers TO {database.settings.db_app_role}")
    return Setup(
        database=database,
        org_id=org.id,
        slug=org.slug,
        service_id=service_id,
        tokens=[o.access_token for o in opened[:-1]],
        sessions=pairs[:-1],
        lister_token=opened[-1].access_token,
    )


# ------------------------------------------------------------------------------------ server


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(
    database: TestDatabase, secret: str, workdir: Path, *, relay: bool, processes: int = 1, db_pool: int = 0
) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARCUS_")}
    env.update(
        MARCUS_ENV="prod",
        MARCUS_SECRET_KEY=secret,
        MARCUS_DATABASE_URL=database.admin_url,
        MARCUS_LOG_LEVEL="WARNING",
        MARCUS_DATA_DIR=str(workdir / "data"),
        MARCUS_WORKER="true" if relay else "false",
        MARCUS_ACCESS_TOKEN_TTL="3600",
    )
    if db_pool:  # a fixed pool per process: PostgreSQL sees at most processes x db_pool transactions
        env.update(MARCUS_DB_POOL_SIZE=str(db_pool), MARCUS_DB_MAX_OVERFLOW="0")
    port = free_port()
    log = workdir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, str(HERE / "_booking_server.py"), "--port", str(port)),
                *("--parent", str(os.getpid()), "--processes", str(processes)),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(port=port, proc=proc, log=log)


async def wait_ready(server: Server, setup: Setup, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {setup.tokens[0]}", "X-Tenant": setup.slug}
    async with httpx.AsyncClient(base_url=server.url, timeout=5.0) as http:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{server.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/api/v1/appointments?limit=1", headers=headers)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not answer:\n{server.log.read_text()[-3000:]}")


# ------------------------------------------------------------------------------------ load


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def run_load(
    server: Server, setup: Setup, workdir: Path, *, clients: int, seconds: float, slots: int
) -> dict[str, Any]:
    """One load run in a second process; ``slots`` fresh slot ids are handed to it."""
    ids = [slot_uuid(n) for n in range(setup.next_slot, setup.next_slot + slots)]
    setup.next_slot += slots
    plan = {
        "url": server.url,
        "tenant": setup.slug,
        "tokens": setup.tokens,
        "slots": ids,
        "clients": clients,
        "seconds": seconds,
    }
    plan_path, result_path = workdir / "plan.json", workdir / "result.json"
    plan_path.write_text(json.dumps(plan))
    subprocess.run(
        [sys.executable, str(HERE / "_booking_load.py"), str(plan_path), str(result_path)],
        check=True,
        timeout=seconds + 120,
    )
    result: dict[str, Any] = json.loads(result_path.read_text())
    return result


def server_cpu(server: Server) -> float:
    """CPU seconds of the API: its process and the processes it forked (``--processes``)."""
    pid = server.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid, *(int(p) for p in (children.read_text().split() if children.exists() else []))]
    total = 0.0
    for each in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def check_bookings(setup: Setup) -> list[str]:
    """The database agrees with itself after the runs: one appointment per booked slot."""
    async with setup.database.db.platform_session() as session:
        problems = await session.execute(
            text(
                "SELECT s.id FROM appointments_slots s WHERE s.organization_id = :org AND s.booked <>"
                " (SELECT count(*) FROM appointments a WHERE a.organization_id = s.organization_id"
                "  AND a.slot_id = s.id AND a.status <> 'Cancelled')"
            ),
            {"org": setup.org_id},
        )
        bad = [str(r[0]) for r in problems]
        numbers = await session.execute(
            text(
                "SELECT count(*), max(n) FROM (SELECT CAST(substr(number, 6) AS bigint) AS n FROM appointments"
                "  WHERE organization_id = :org AND number NOT LIKE 'APPT-L%') AS taken"
                " WHERE n < 10000000"  # the diagnostic pgbench run numbers from a sequence, above that
            ),
            {"org": setup.org_id},
        )
        count, highest = numbers.one()
    if count != (highest or 0):
        bad.append(f"{count} appointments but the highest number is {highest}")
    return bad


# ------------------------------------------------------------------------------------ pgbench


SEQUENCE_COUNTER = "counter AS (SELECT nextval('booking_bench_numbers') AS value FROM claim)"


def pgbench_script(setup: Setup, *, sequence: bool = False) -> str:
    """The booking transaction for pgbench; ``sequence`` swaps the per-workspace counter row for
    a plain sequence (a diagnostic: what the gap-free counter's row lock costs)."""
    sql = (_CLAIM + _OUTBOX.format(outbox="event_outbox") + _RESULT).strip()
    if sequence:
        sql = re.sub(r"counter AS \(.*?RETURNING c\.value\s*\)", SEQUENCE_COUNTER, sql, flags=re.S)
    for name in ("id", "event_id", "counter_id"):
        sql = re.sub(rf":{name}\b", "gen_random_uuid()", sql)
    sql = sql.replace("CAST(:service AS uuid) IS NULL OR ", "")
    sql = sql.replace(":slot", "CAST(lpad(to_hex(CAST(:n AS bigint)), 32, '0') AS uuid)").replace(":note", "''")
    sql = " ".join(sql.split())
    auth = (
        "SELECT u.email FROM users u JOIN auth_sessions a ON a.organization_id = u.organization_id AND a.user_id = u.id"
        " WHERE u.organization_id = :org AND u.id = :customer AND a.id = :sid AND a.revoked_at IS NULL"
        " AND a.expires_at > now() AND u.is_verified AND u.is_blocked IS false AND u.deleted_at IS NULL;"
    )
    return "\n".join(
        [
            "\\set n :first + :client_id * :per_client + :i",
            "\\set i :i + 1",
            "BEGIN;",
            "SELECT set_config('marcus.org_id', :org, true);",
            auth,
            sql + ";",
            "COMMIT;",
        ]
    )


def run_pgbench(
    setup: Setup, workdir: Path, *, clients: int, per_client: int, sequence: bool = False
) -> dict[str, Any]:
    url = make_url(setup.database.admin_url).set(username=setup.database.settings.db_app_role, password=None)
    user_id, session_id = setup.sessions[0]
    script = workdir / "booking.sql"
    script.write_text(pgbench_script(setup, sequence=sequence))
    first = setup.next_slot
    setup.next_slot += clients * per_client
    payload = json.dumps({"customer_id": str(user_id), "status": "Upcoming", "meeting_type": "Virtual"})
    variables = {
        "first": first,
        "per_client": per_client,
        "i": 0,
        "org": setup.org_id,
        "customer": user_id,
        "sid": session_id,
        "service": setup.service_id,
        "earliest": "2000-01-01T00:00:00Z",
        "latest": "2100-01-01T00:00:00Z",
        "meeting_type": "Virtual",
        "status": "Upcoming",
        "attachments": "[]",
        "event_name": "appointments.booked",
        "payload": payload,
        "actor": user_id,
    }
    log_prefix = workdir / f"pgbench-{clients}"
    command = [
        "pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)), "-t", str(per_client),
        "-f", str(script), "-l", f"--log-prefix={log_prefix}",
        *(arg for k, v in variables.items() for arg in ("-D", f"{k}={v}")),
        libpq_url(url.render_as_string(hide_password=False)),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed:\n{done.stderr[-3000:]}\n{done.stdout[-2000:]}")
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial", done.stdout).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies = []
    for path in workdir.glob(f"{log_prefix.name}*"):
        for line in path.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)
        path.unlink()
    return {
        "tps": tps,
        "failed": int(failed.group(1)) if failed else 0,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "n": len(latencies),
    }


# ------------------------------------------------------------------------------------ list, pdf


def vacuum_appointments(setup: Setup) -> None:
    """Statistics and visibility map of ``appointments`` after the booking runs, as autovacuum
    leaves them a minute after a bulk insert (PostgreSQL 13+ also vacuums for inserts). Without
    it, on a server with autovacuum off, the list's count is planned as a sequential scan of
    every booking the runs made (~6 ms instead of ~0.5 ms)."""
    with psycopg.connect(libpq_url(setup.database.admin_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE appointments")


async def time_list(server: Server, setup: Setup, requests: int) -> dict[str, float]:
    """Sequential requests over one keep-alive connection with aiohttp, the booking load's client
    (httpx's own per-request cost was ~0.5 ms here: a figure about the client, not Marcus)."""
    headers = {"Authorization": f"Bearer {setup.lister_token}", "X-Tenant": setup.slug}
    times = []
    timeout = aiohttp.ClientTimeout(total=10.0)
    async with aiohttp.ClientSession(server.url, timeout=timeout) as http:
        for i in range(requests + 30):
            started = time.perf_counter()
            async with http.get("/api/v1/appointments?page=1&limit=20", headers=headers) as response:
                body = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or json.loads(body)["total"] != LIST_TOTAL:
                raise RuntimeError(f"list answered {response.status}: {body[:300]!r}")
            if i >= 30:
                times.append(elapsed)
    return {"p50": percentile(times, 50), "p90": percentile(times, 90), "p99": percentile(times, 99)}


def pdf_pages(data: bytes) -> int | None:
    """The page count poppler's ``pdfinfo`` reads (None without it)."""
    if not shutil.which("pdfinfo"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, check=False).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    return int(found.group(1)) if found else None


async def time_pdf(server: Server, setup: Setup, runs: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {setup.lister_token}", "X-Tenant": setup.slug}
    times, size = [], 0
    async with httpx.AsyncClient(base_url=server.url, timeout=60.0) as http:
        for _ in range(runs):
            started = time.perf_counter()
            response = await http.get("/api/v1/appointments/export/pdf", headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                raise RuntimeError(f"export answered {response.status_code}")
            size = len(response.content)
    pages = await asyncio.to_thread(pdf_pages, response.content)
    return {"times": times, "median": statistics.median(times), "bytes": size, "pages": pages}


# ------------------------------------------------------------------------------------ statements


async def count_statements(setup: Setup, secret: str) -> list[str]:
    """The SQL statements one booking request sends, read from a libpq trace of the app role's
    connection (an in-process app), so statements sent to psycopg directly (the booking and its
    ``COMMIT``, pipelined) count too. Round trips are the ``ReadyForQuery`` messages."""
    cached = {"worker": False, "tenant_cache_ttl": 5.0}  # as served: the policy and tenant caches on
    with tempfile.TemporaryFile("w+") as trace:
        async with running_app(setup.database, [services_plugin, appointments_plugin], **cached) as h:
            engine = h.kernel.db.app_engine
            headers = {"Authorization": f"Bearer {setup.tokens[1]}", "X-Tenant": setup.slug}
            await h.client.get("/api/v1/appointments?limit=1", headers=headers)  # policy and caches warm
            await engine.dispose()  # the request's connection is a new one, traced from its start

            def start_trace(dbapi: Any, _record: Any) -> None:
                pgconn = dbapi.driver_connection.pgconn
                pgconn.trace(trace.fileno())
                pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)

            event.listen(engine.sync_engine, "connect", start_trace)
            try:
                body = {"slot_id": slot_uuid(setup.next_slot), "meeting_type": "Virtual"}
                setup.next_slot += 1
                answer = await h.client.post("/api/v1/appointments", json=body, headers=headers)
                if answer.status_code != 201:
                    raise RuntimeError(f"booking answered {answer.status_code}: {answer.text}")
            finally:
                event.remove(engine.sync_engine, "connect", start_trace)
                await engine.dispose()
        trace.seek(0)
        return wire_statements(trace.read())


def wire_statements(trace: str) -> list[str]:
    """Each statement the client sent (Query / Parse) from a libpq trace, then the round trips:
    how often the client, having sent, waited for the server (a switch from sent to received
    messages; a pipeline's statements share one)."""
    messages: list[list[str]] = []
    for line in trace.splitlines():
        if line[:2] in ("F\t", "B\t"):
            messages.append(line.split("\t", 3))
        elif messages:  # a statement's text goes on over several lines
            messages[-1][-1] += " " + line
    sent, trips, last = [], 0, "B"
    for message in messages:
        if len(message) < 4:
            continue
        direction, kind, rest = message[0], message[2], message[3].strip()
        if direction == "B" and last == "F":
            trips += 1
        last = direction
        if direction == "F" and kind == "Query":
            sent.append(rest.strip('"'))
        elif direction == "F" and kind == "Parse":
            sent.append(" ".join(rest.split('"')[3].split())[:100])
    return [*sent, f"({trips} round trips)"]


# ------------------------------------------------------------------------------------ report


def report(args: argparse.Namespace, where: str, results: dict[str, Any]) -> str:
    relay = "with" if args.relay else "without"
    lines = [
        "## booking - appointments: booking throughput, listing, PDF export",
        "",
        f"Server: {where}. API: {args.processes} uvicorn process(es) on one port (SO_REUSEPORT; "
        + (f"{args.db_pool} app connections each, no overflow; " if args.db_pool else "kernel pool defaults; ")
        + "each "
        "`marcus serve`'s options, `MARCUS_ENV=prod`), "
        f"{relay} the in-process outbox relay; load from a second process "
        f"(aiohttp), {args.seconds:.0f} s per level after a 2 s warm-up, every request a different free slot.",
        "",
        "| clients | bookings/s | ok | errors | p50 ms | p99 ms | API CPU (cores) | load-gen CPU "
        "| raw SQL tps (pgbench) | pgbench p50 / p99 ms | raw SQL, sequence instead of counter row |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    listed = results["list"]
    for level in results["levels"]:
        http, sql = level["http"], level["pgbench"]
        errors = sum(v for k, v in http["statuses"].items() if k != "201")
        ok = http["statuses"].get("201", 0)
        lines.append(
            f"| {level['clients']} | **{ok / http['elapsed']:.0f}** | {ok} | {errors} | "
            f"{percentile(http['latencies'], 50):.1f} | {percentile(http['latencies'], 99):.1f} | "
            f"{level['api_cpu'] / http['elapsed']:.2f} | {http['cpu_seconds'] / http['elapsed']:.2f} | "
            f"{sql['tps']:.0f} ({sql['failed']} failed) | {sql['p50']:.2f} / {sql['p99']:.2f} | "
            f"{level['sequence']['tps']:.0f} tps |"
        )
    lines += [
        "",
        f"Consistency after the runs: {results['consistency'] or CONSISTENT}.",
        "",
        f"**Listing** page 1 (20 of {LIST_TOTAL:,}), one client (aiohttp, one keep-alive connection), sequential, "
        f"{args.list_requests} requests, "
        "after `VACUUM ANALYZE appointments` (as autovacuum would): "
        f"p50 **{listed['p50']:.2f} ms**, p90 {listed['p90']:.2f} ms, p99 {listed['p99']:.2f} ms.",
        "",
        f"**PDF export** of {LIST_TOTAL:,} appointments ({results['pdf']['bytes'] / 1024:.0f} KiB, "
        f"{results['pdf']['pages']} pages): " + ", ".join(f"{t:.0f}" for t in results["pdf"]["times"]) +
        f" ms; median **{results['pdf']['median']:.0f} ms** (request to last byte).",
        "",
        "**Statements of one booking request** (app role, as sent on the wire):",
        "",
        *(f"{i}. `{s}`" for i, s in enumerate(results["statements"], start=1)),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


async def benchmark(args: argparse.Namespace, database: TestDatabase, where: str, secret: str) -> str:
    levels = [int(c) for c in args.clients.split(",")]
    per_level = int(args.seconds * 1500) + 3000
    say("preparing the workspace, customers, slots and 4,000 appointments to list")
    setup = await prepare(
        database, slots=len(levels) * (per_level + 3000) + sum(levels) * args.pgbench_per_client + 2000
    )
    results: dict[str, Any] = {"levels": []}
    with tempfile.TemporaryDirectory(prefix="marcus-booking-") as tmp:
        workdir = Path(tmp)
        say("counting the statements of one booking request")
        results["statements"] = await count_statements(setup, secret)
        server = start_server(
            database, secret, workdir, relay=args.relay, processes=args.processes, db_pool=args.db_pool
        )
        try:
            await wait_ready(server, setup)
            for clients in levels:
                say(f"{clients} client(s): warm-up, then {args.seconds:.0f} s of bookings")
                run_load(server, setup, workdir, clients=clients, seconds=2, slots=3000)
                cpu = server_cpu(server)
                http = run_load(server, setup, workdir, clients=clients, seconds=args.seconds, slots=per_level)
                api_cpu = server_cpu(server) - cpu
                say(f"  http: {http['statuses']} in {http['elapsed']:.1f} s")
                say(f"{clients} client(s): pgbench, {args.pgbench_per_client} transactions each")
                sql = run_pgbench(setup, workdir, clients=clients, per_client=args.pgbench_per_client)
                sequence = run_pgbench(
                    setup, workdir, clients=clients, per_client=args.pgbench_per_client, sequence=True
                )
                say(
                    f"  pgbench: {sql['tps']:.0f} tps; with a sequence instead of the counter row {sequence['tps']:.0f}"
                )
                results["levels"].append(
                    {"clients": clients, "http": http, "pgbench": sql, "sequence": sequence, "api_cpu": api_cpu}
                )
            results["consistency"] = await check_bookings(setup)
            say("VACUUM ANALYZE appointments (what autovacuum does after the runs' inserts)")
            await asyncio.to_thread(vacuum_appointments, setup)
            say("listing")
            results["list"] = await time_list(server, setup, args.list_requests)
            say("PDF export")
            results["pdf"] = await time_pdf(server, setup, 5)
        finally:
            server.stop()
    return report(args, where, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per client level")
    parser.add_argument("--clients", default="1,16,64", help="comma-separated client counts")
    parser.add_argument("--relay", action="store_true", help="run the in-process outbox relay in the API process")
    parser.add_argument("--pgbench-per-client", type=int, default=300, help="pgbench transactions per client")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="API processes on the port (SO_REUSEPORT): replicas of `marcus serve` on this machine",
    )
    parser.add_argument(
        "--db-pool",
        type=int,
        default=6,
        help="app-role connections per API process, no overflow (MARCUS_DB_POOL_SIZE, MARCUS_DB_MAX_OVERFLOW=0);"
        " 0 keeps the kernel's defaults (10 + 10 overflow)",
    )
    parser.add_argument("--list-requests", type=int, default=500)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    url, where = server_url()
    secret = secrets.token_urlsafe(32)
    say("creating and migrating a scratch database")
    database = create_database(url, [services_plugin, appointments_plugin], secret_key=secret, access_token_ttl=3600)
    try:
        print(asyncio.run(benchmark(args, database, where, secret)))
    finally:
        drop_database(database.admin_url)
        say(f"dropped {make_url(database.admin_url).database}")


if __name__ == "__main__":
    main()
