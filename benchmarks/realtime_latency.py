"""Commit-to-client latency of live notifications, with 1,000 Socket.IO clients connected.

What runs where (every process on 127.0.0.1, every wait bounded):

* **this process** creates a scratch database on the PostgreSQL below, migrates it with the
  kernel and the benchmark plugin (``_realtime_plugin.py``: one event ``rtbench.pinged`` with a
  ``Notice`` and a ``POST /api/v1/rtbench/ping`` route that publishes it), creates one workspace
  and ``--users`` customers (users and role rows in bulk, then a real sign-in session per user
  with ``marcus.auth.sessions.open_session``, whose access token the clients present), and then
  only publishes (HTTP) and does the bookkeeping;
* **API servers**: ``_realtime_server.py`` in their own processes (``create_app`` with the
  kernel + benchmark plugin, served by ``uvicorn.run`` with ``marcus serve``'s options,
  ``MARCUS_ENV=prod`` with a random secret key, the in-process outbox relay on);
* **client processes** (``_realtime_clients.py``, ``--client-procs``, spawned): one
  ``socketio.AsyncClient`` per customer on ``/notifications`` (websocket transport,
  ``auth={"token": ...}``, ``X-Tenant``), each stamping ``notification:new`` on arrival.

Two setups, with fresh servers and clients each:

1. **one process**: one server; clients connect to it and events are published through it;
2. **two replicas**: servers A and B sharing Redis (``MARCUS_REDIS_URL``, ``--redis-url``);
   clients connect to B, events are published (committed and relayed) through A.

Each event targets one random connected customer; events go one at a time, ``--interval``
apart. Latency = client receive time - the commit time the route took just after ``COMMIT``
returned; both are ``time.time_ns()`` (CLOCK_REALTIME, one clock for every process on the
machine; the script checks each client process against it and reports any clock step during the
run). The event payload carries ``sent_ns`` (taken just before the commit) too, and the
notification row's ``created_at`` (the relay handler's transaction start, PostgreSQL's clock —
the same machine clock) and the outbox row's ``delivered_at`` split the latency into: relay
wake-up and claim, the handler's transaction, and the emit path to the client. RSS (psutil) of
each API process is read idle, with the clients connected, and after the run.

Also reported: event-loop lag of every server (a sleeper task of the benchmark plugin) and
client process, CPU use per process group while publishing (other work on the machine skews
the figures: it shows as "other"), and losses, duplicates and misdeliveries. ``--trace-sql``
(diagnostic; the listeners cost a little) records the servers' SQL and adds the statements,
pool check-outs and COMMITs per event and the timeline of one median event.

    .venv/bin/python benchmarks/realtime_latency.py [--users 1000] [--events 200] [--interval 0.05]
        [--warmup 10] [--client-procs 1] [--skip-replicas] [--redis-url redis://127.0.0.1:6379/0]
        [--trace-sql]

About a minute with the defaults (most of it connecting 1,000 clients twice).

Server: ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL), else the embedded PostgreSQL under
``.marcus/bench``. Prints markdown on stdout, progress on stderr. The scratch database, the
servers and the client processes are removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import _realtime_clients
import _realtime_plugin
import httpx
import psutil
import psycopg
from _common import say, server_url
from sqlalchemy.engine import make_url

from marcus.auth.models import User
from marcus.auth.passwords import hash_password
from marcus.auth.sessions import open_session
from marcus.db.roles import libpq_url
from marcus.rbac.models import RoleAssignment
from marcus.rbac.version import bump_version
from marcus.testing.harness import TestDatabase, create_database, create_tenant, drop_database
from marcus.testing.server import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MB = 1024 * 1024
TARGET_P99_ONE = 50.0  # ms, one process
TARGET_P99_TWO = 100.0  # ms, two replicas through Redis
TARGET_RSS = 200.0  # MB, the API process with the clients connected
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ns_of(moment: datetime | str | None) -> int | None:
    """Nanoseconds since the epoch of a timestamp (exact to the microsecond)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ------------------------------------------------------------------------------ setup data


@dataclass(frozen=True)
class Customer:
    id: str
    token: str


async def create_customers(database: TestDatabase, org_id: uuid.UUID, count: int) -> list[Customer]:
    """``count`` verified customers with one real sign-in session each (one transaction).

    Users and role assignments go in as bulk inserts (one shared password hash, one policy
    version bump); the sessions and tokens come from ``open_session``, as a sign-in makes them.
    """
    settings = database.settings
    password_hash = await hash_password(settings, secrets.token_urlsafe(12))
    async with database.db.tenant_transaction(org_id) as session:
        users = [
            User(
                organization_id=org_id,
                email=f"customer-{i:05d}@bench.example",
                password_hash=password_hash,
                first_name="Bench",
                last_name=f"Customer {i}",
                is_verified=True,
            )
            for i in range(count)
        ]
        session.add_all(users)
        await session.flush()
        session.add_all(RoleAssignment(organization_id=org_id, user_id=u.id, role="customer") for u in users)
        await bump_version(session, org_id)
        await session.flush()
        customers = []
        for user in users:
            tokens = await open_session(session, settings, user=user, user_agent="realtime-latency-benchmark")
            customers.append(Customer(id=str(user.id), token=tokens.access_token))
    return customers


# ------------------------------------------------------------------------------ servers


@dataclass
class Server:
    label: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return float(psutil.Process(self.proc.pid).memory_info().rss) / MB

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                say(f"server {self.label} did not stop within 20 s; killing it")
                self.proc.kill()
                self.proc.wait(5)


def start_server(
    label: str, database: TestDatabase, secret: str, redis_url: str | None, workdir: Path, *, trace_sql: bool
) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARCUS_")}
    env.update(
        MARCUS_ENV="prod",
        MARCUS_SECRET_KEY=secret,
        MARCUS_DATABASE_URL=database.admin_url,
        MARCUS_LOG_LEVEL="WARNING",
        MARCUS_DATA_DIR=str(workdir / f"data-{label}"),
    )
    if redis_url:
        env["MARCUS_REDIS_URL"] = redis_url
    port = free_port()
    log_path = workdir / f"server-{label}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "_realtime_server.py"),
                "--port",
                str(port),
                "--parent",
                str(os.getpid()),
                *(["--trace-sql"] if trace_sql else []),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(label=label, port=port, proc=proc, log_path=log_path)


async def wait_ready(server: Server, slug: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=server.url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"server {server.label} exited ({server.proc.returncode}):\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                answer = await http.get("/api/v1/rtbench/stats", headers={"X-Tenant": slug})
                if answer.status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server {server.label} did not answer within {seconds:.0f} s:\n{server.log_tail()}")


async def server_trace(server: Server, slug: str, since: int, until: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10.0) as http:
        answer = await http.get(
            "/api/v1/rtbench/trace", params={"since": since, "until": until}, headers={"X-Tenant": slug}
        )
        answer.raise_for_status()
        return [{**entry, "server": server.label} for entry in answer.json()]


async def server_lag(server: Server, slug: str, *, reset: bool = False) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=server.url, timeout=5.0) as http:
        answer = await http.get("/api/v1/rtbench/stats", params={"reset": reset}, headers={"X-Tenant": slug})
        answer.raise_for_status()
        return dict(answer.json())


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds (user + system) of every process by pid (with its name), and of the machine."""

    processes: dict[int, tuple[str, float]]
    machine: float

    @classmethod
    def take(cls) -> CpuSnapshot:
        processes = {}
        for proc in psutil.process_iter(["name"]):
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                processes[proc.pid] = (proc.info["name"] or "", times.user + times.system)
        machine = psutil.cpu_times()
        return cls(processes, sum(machine) - machine.idle - getattr(machine, "iowait", 0.0))

    def shares(self, later: CpuSnapshot, groups: dict[str, list[int]], seconds: float) -> dict[str, float]:
        """Cores busy per group between the two snapshots (by pid; ``postgres``/``redis`` by name)."""
        owner = {pid: label for label, pids in groups.items() for pid in pids}
        shares = dict.fromkeys([*groups, "postgres", "redis"], 0.0)
        for pid, (name, used) in later.processes.items():
            label = owner.get(pid) or next((n for n in ("postgres", "redis") if name.startswith(n)), None)
            if label is not None:
                shares[label] += (used - self.processes.get(pid, (name, 0.0))[1]) / seconds
        shares["machine"] = (later.machine - self.machine) / seconds
        shares["other"] = max(0.0, shares["machine"] - sum(v for k, v in shares.items() if k != "machine"))
        return shares


# ------------------------------------------------------------------------------ client processes


@dataclass
class ClientPool:
    """The client processes of one setup and what they reported."""

    procs: list[Any] = field(default_factory=list)
    conns: list[Connection] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    connect_seconds: float = 0.0
    connect_lag_max_ms: float = 0.0

    def ask(self, name: str, timeout: float = 30.0) -> list[Any]:
        for conn in self.conns:
            conn.send((name, None))
        return [self._answer(conn, name, timeout) for conn in self.conns]

    @staticmethod
    def _answer(conn: Connection, name: str, timeout: float) -> Any:
        if not conn.poll(timeout):
            raise RuntimeError(f"a client process did not answer '{name}' within {timeout:.0f} s")
        kind, value = conn.recv()
        if kind != name:
            raise RuntimeError(f"a client process answered '{kind}' to '{name}'")
        return value

    def stop(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.send(("stop", None))
        for conn in self.conns:
            with contextlib.suppress(Exception):
                if conn.poll(90):
                    conn.recv()
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                say("a client process did not stop; terminating it")
                proc.terminate()
                proc.join(5)


def start_clients(
    url: str, slug: str, customers: list[Customer], *, procs: int, concurrency: int, timeout: float
) -> ClientPool:
    ctx = multiprocessing.get_context("spawn")
    pool = ClientPool()
    started = time.perf_counter()
    for i in range(procs):
        share = [(c.id, c.token) for c in customers[i::procs]]
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=_realtime_clients.run,
            args=(child, url, slug, share, max(1, concurrency // procs), 15.0),
            name=f"rt-clients-{i}",
            daemon=True,
        )
        proc.start()
        child.close()
        pool.procs.append(proc)
        pool.conns.append(parent)
    try:
        for conn in pool.conns:
            report = ClientPool._answer(conn, "connected", timeout)
            pool.connected += report["users"]
            pool.failed += report["failed"]
            pool.failures += report["failures"]
            pool.connect_lag_max_ms = max(pool.connect_lag_max_ms, report["lag"]["max_ms"])
    except BaseException:
        pool.stop()
        raise
    pool.connect_seconds = time.perf_counter() - started
    return pool


def check_clocks(pool: ClientPool) -> bool:
    """Every client process reads the same ``time_ns`` clock as this one (within the ask)."""
    ok = True
    for conn in pool.conns:
        before = time.time_ns()
        conn.send(("clock", None))
        theirs = ClientPool._answer(conn, "clock", 10)
        after = time.time_ns()
        ok = ok and before <= theirs <= after
    return ok


# ------------------------------------------------------------------------------ one setup


@dataclass
class SetupResult:
    label: str
    target_p99: float
    servers: list[str]
    users: int
    client_procs: int
    connected: int
    connect_failures: list[str]
    connect_seconds: float
    rss_idle: dict[str, float]
    rss_connected: dict[str, float]
    rss_after: dict[str, float]
    published: int
    latencies: list[float]
    from_sent: list[float]
    commit_took: list[float]
    wake: list[float]
    handler: list[float]
    push: list[float]
    lost: int
    duplicates: int
    wrong_user: int
    still_connected: int
    client_lag: dict[str, float]
    server_lag: dict[str, dict[str, float]]
    clocks_ok: bool
    clock_step_ms: float
    cpu: dict[str, float]
    seconds: float
    sql_per_event: dict[str, float] = field(default_factory=dict)
    timeline: list[tuple[float, str, str, float]] = field(default_factory=list)
    statement_mix: dict[str, float] = field(default_factory=dict)


async def publish_events(
    server: Server, slug: str, targets: list[str], *, count: int, interval: float, rng: random.Random
) -> list[dict[str, Any]]:
    """Publish ``count`` events one at a time through ``server``; their commit receipts."""
    answers = []
    async with httpx.AsyncClient(base_url=server.url, timeout=10.0, headers={"X-Tenant": slug}) as http:
        for seq in range(count):
            answer = await http.post("/api/v1/rtbench/ping", json={"customer_id": rng.choice(targets), "seq": seq})
            answer.raise_for_status()
            answers.append(answer.json())
            await asyncio.sleep(interval)
    return answers


def relay_times(database: TestDatabase, event_ids: list[str]) -> dict[str, tuple[int | None, int | None]]:
    """event id -> (handler transaction start, outbox delivered_at), in ns, from the database."""
    query = """
        SELECT o.id::text, d.created_at, o.delivered_at
        FROM event_outbox o
        LEFT JOIN event_deliveries d ON d.organization_id = o.organization_id AND d.event_id = o.id
        WHERE o.id = ANY(%s::uuid[])
    """
    with psycopg.connect(libpq_url(database.admin_url)) as conn:
        rows = conn.execute(query, (event_ids,)).fetchall()
    return {eid: (ns_of(started), ns_of(done)) for eid, started, done in rows}


async def run_setup(
    label: str,
    *,
    publish_to: Server,
    connect_to: Server,
    servers: list[Server],
    slug: str,
    customers: list[Customer],
    database: TestDatabase,
    args: argparse.Namespace,
    target_p99: float,
) -> SetupResult:
    started = time.monotonic()
    for server in servers:
        await wait_ready(server, slug)
    rss_idle = {s.label: s.rss_mb() for s in servers}
    say(f"[{label}] connecting {len(customers)} clients to {connect_to.label} from {args.client_procs} process(es)")
    pool = await asyncio.to_thread(
        start_clients,
        connect_to.url,
        slug,
        customers,
        procs=args.client_procs,
        concurrency=args.connect_concurrency,
        timeout=args.connect_timeout,
    )
    try:
        say(f"[{label}] {len(pool.connected)} connected in {pool.connect_seconds:.1f} s ({pool.failed} failed)")
        if not pool.connected:
            raise RuntimeError(f"no client could connect: {pool.failures}")
        await asyncio.sleep(args.settle)
        rss_connected = {s.label: s.rss_mb() for s in servers}
        clocks_ok = check_clocks(pool)
        pool.ask("start")
        for server in servers:
            await server_lag(server, slug, reset=True)
        total = args.warmup + args.events
        say(f"[{label}] publishing {total} events through {publish_to.label}, {args.interval * 1000:.0f} ms apart")
        groups = {
            "API servers": [s.proc.pid for s in servers],
            "client processes": [p.pid for p in pool.procs],
            "benchmark process": [os.getpid()],
        }
        cpu0 = CpuSnapshot.take()
        wall0, mono0 = time.time_ns(), time.monotonic_ns()
        answers = await publish_events(
            publish_to, slug, pool.connected, count=total, interval=args.interval, rng=random.Random(args.seed)
        )
        deadline = time.monotonic() + args.grace
        while True:
            collected = pool.ask("collect")
            receipts = [r for c in collected for r in c["receipts"]]
            if len({r["seq"] for r in receipts}) >= total or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        wall_s = (time.monotonic_ns() - mono0) / 1e9
        cpu = cpu0.shares(CpuSnapshot.take(), groups, wall_s)
        clock_step_ms = abs((time.time_ns() - wall0) - (time.monotonic_ns() - mono0)) / 1e6
        server_lags = {s.label: await server_lag(s, slug) for s in servers}
        trace = (
            [e for s in servers for e in await server_trace(s, slug, wall0, time.time_ns())] if args.trace_sql else []
        )
        rss_after = {s.label: s.rss_mb() for s in servers}
    finally:
        await asyncio.to_thread(pool.stop)

    first: dict[int, dict[str, Any]] = {}
    duplicates = 0
    for receipt in sorted(receipts, key=lambda r: r["received_ns"]):
        if receipt["seq"] in first:
            duplicates += 1
        else:
            first[receipt["seq"]] = receipt
    timed = [a for a in answers if a["seq"] >= args.warmup]
    relay = relay_times(database, [a["event_id"] for a in timed])
    result = SetupResult(
        label=label,
        target_p99=target_p99,
        servers=[s.label for s in servers],
        users=len(customers),
        client_procs=args.client_procs,
        connected=len(pool.connected),
        connect_failures=pool.failures,
        connect_seconds=pool.connect_seconds,
        rss_idle=rss_idle,
        rss_connected=rss_connected,
        rss_after=rss_after,
        published=len(timed),
        latencies=[],
        from_sent=[],
        commit_took=[],
        wake=[],
        handler=[],
        push=[],
        lost=0,
        duplicates=duplicates,
        wrong_user=sum(not r["right_user"] for r in receipts),
        still_connected=sum(c["still_connected"] for c in collected),
        client_lag={
            "p99_ms": max(c["lag"]["p99_ms"] for c in collected),
            "max_ms": max(c["lag"]["max_ms"] for c in collected),
            "connect_max_ms": pool.connect_lag_max_ms,
        },
        server_lag=server_lags,
        clocks_ok=clocks_ok,
        clock_step_ms=clock_step_ms,
        cpu=cpu,
        seconds=0.0,
    )
    for answer in timed:
        receipt = first.get(answer["seq"])
        if receipt is None:
            result.lost += 1
            continue
        received, committed = receipt["received_ns"], answer["committed_ns"]
        result.latencies.append((received - committed) / 1e6)
        result.from_sent.append((received - answer["sent_ns"]) / 1e6)
        result.commit_took.append((committed - answer["sent_ns"]) / 1e6)
        handler_start, delivered = relay.get(answer["event_id"], (None, None))
        if handler_start is not None and delivered is not None:
            result.wake.append((handler_start - committed) / 1e6)
            result.handler.append((delivered - handler_start) / 1e6)
            result.push.append((received - delivered) / 1e6)
    if trace and result.latencies:
        summarize_trace(result, trace, answers, timed, first)
    result.seconds = time.monotonic() - started
    say(
        f"[{label}] p50 {percentile(result.latencies, 0.5):.1f} ms, p99 {percentile(result.latencies, 0.99):.1f} ms, "
        f"max {max(result.latencies):.1f} ms; {result.lost} lost"
        if result.latencies
        else f"[{label}] nothing arrived"
    )
    return result


def statement_kind(sql: str) -> str:
    """``INSERT INTO x``, ``UPDATE x``, ``SELECT … FROM x [FOR UPDATE]`` or the statement itself (short ones)."""
    words = sql.split()
    if words[0] in ("INSERT", "UPDATE", "DELETE"):
        return " ".join(words[: 3 if words[0] != "UPDATE" else 2])
    if words[0] == "SELECT" and "FROM" in words:
        table = words[words.index("FROM") + 1]
        return f"SELECT … FROM {table}" + (" FOR … UPDATE" if "UPDATE" in words else "")
    return sql[:60]


def summarize_trace(
    result: SetupResult,
    trace: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    timed: list[dict[str, Any]],
    first: dict[int, dict[str, Any]],
) -> None:
    """Statements per event (whole run) and the SQL timeline of the event nearest the median latency."""
    events = len(answers)  # the trace covers the warm-up events too
    for entry in trace:
        if entry["engine"] == "kernel":
            continue  # relay and hub marks: timeline only
        kind = (
            "pool check-outs (pre-ping)"
            if entry["what"].startswith("pool check-out")
            else "COMMITs"
            if entry["what"].startswith("COMMIT")
            else "statements"
        )
        key = f"{kind} ({entry['engine']})"
        result.sql_per_event[key] = result.sql_per_event.get(key, 0.0) + 1 / events
        if kind == "statements":
            head = statement_kind(entry["what"])
            result.statement_mix[head] = result.statement_mix.get(head, 0.0) + 1 / events
    median = statistics.median(result.latencies)
    received = [(a, first[a["seq"]]) for a in timed if a["seq"] in first]
    answer, receipt = min(received, key=lambda ar: abs((ar[1]["received_ns"] - ar[0]["committed_ns"]) / 1e6 - median))
    since, until, zero = answer["sent_ns"] - 2_000_000, receipt["received_ns"], answer["committed_ns"]
    for entry in sorted(trace, key=lambda e: e["start_ns"]):
        if since <= entry["start_ns"] <= until:
            what = entry["what"] if len(entry["what"]) <= 90 else entry["what"][:87] + "..."
            result.timeline.append(
                (
                    (entry["start_ns"] - zero) / 1e6,
                    f"{entry['server']} {entry['engine']}",
                    what,
                    entry["duration_ns"] / 1e6,
                )
            )
    result.timeline.append(((until - zero) / 1e6, "client", "notification:new received", 0.0))


# ------------------------------------------------------------------------------ report


def verdict(ok: bool) -> str:
    return "meets" if ok else "**misses**"


def report(results: list[SetupResult], *, where: str, version: str, args: argparse.Namespace, notes: list[str]) -> str:
    lines = [
        f"## Realtime notification latency — {where}",
        "",
        f"PostgreSQL {version}. One workspace, {args.users} customers each signed in (real sessions and access "
        f"tokens); one `socketio.AsyncClient` per customer on `/notifications` (websocket transport) from "
        f"{args.client_procs} client process(es); {args.events} events (after {args.warmup} warm-up), one at a time "
        f"{args.interval * 1000:.0f} ms apart, each to one random connected customer. Latency = client receive time "
        "- time just after `COMMIT` returned in the publishing request (same machine clock, `time.time_ns()`). "
        "API servers are separate uvicorn processes (`_realtime_server.py`: `create_app` + the benchmark plugin, "
        "`MARCUS_ENV=prod`, in-process outbox relay).",
        "",
        "| setup | clients connected | delivered | p50 ms | p95 ms | p99 ms | max ms | p99 target | "
        "API RSS with clients | RSS target |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in results:
        serving = r.servers[-1]
        rss = r.rss_connected[serving]
        if r.latencies:
            p50, p95, p99, top = (percentile(r.latencies, q) for q in (0.5, 0.95, 0.99, 1.0))
            figures = f"{p50:.1f} | {p95:.1f} | {p99:.1f} | {top:.1f}"
            p99_verdict = f"≤ {r.target_p99:.0f} ms: {verdict(p99 <= r.target_p99)}"
        else:
            figures, p99_verdict = "- | - | - | -", "no data"
        lines.append(
            f"| {r.label} | {r.connected}/{r.users} | {r.published - r.lost}/{r.published} | {figures} | "
            f"{p99_verdict} | {rss:.0f} MB ({serving}) | < {TARGET_RSS:.0f} MB: {verdict(rss < TARGET_RSS)} |"
        )
    lines += ["", "Where the time goes (median / p99 in ms; the three parts add up to the latency):", ""]
    lines += [
        "| setup | sent → commit returned | commit → relay handler tx begins | handler tx (SQL + commit) | "
        "handler done → client (emit path) | payload `sent_ns` → client |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def mp(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} / {percentile(values, 0.99):.1f}" if values else "-"

    for r in results:
        lines.append(
            f"| {r.label} | {mp(r.commit_took)} | {mp(r.wake)} | {mp(r.handler)} | {mp(r.push)} | {mp(r.from_sent)} |"
        )
    lines += ["", "Processes:", ""]
    for r in results:
        memory = ", ".join(
            f"{name} {r.rss_idle[name]:.0f} → {r.rss_connected[name]:.0f} → {r.rss_after[name]:.0f} MB"
            for name in r.servers
        )
        serving = r.servers[-1]
        per_conn = (r.rss_connected[serving] - r.rss_idle[serving]) * 1024 / max(1, r.connected)
        lags = "; ".join(
            f"{name} p50 {lag['p50_ms']:.1f} / p99 {lag['p99_ms']:.1f} / max {lag['max_ms']:.1f} ms"
            for name, lag in r.server_lag.items()
        )
        lines.append(
            f"- **{r.label}**: {r.connected} clients connected in {r.connect_seconds:.1f} s "
            f"({len(r.connect_failures)} failure messages), {r.still_connected} still connected at the end; "
            f"RSS idle → with clients → after the run: {memory} (~{per_conn:.0f} KB per connection on {serving}); "
            f"server event-loop lag during the run: {lags}; client loop lag p99 {r.client_lag['p99_ms']:.1f} / max "
            f"{r.client_lag['max_ms']:.1f} ms (max {r.client_lag['connect_max_ms']:.0f} ms while connecting); "
            f"{r.lost} lost, {r.duplicates} duplicate, {r.wrong_user} to the wrong user; clocks "
            f"{'agree' if r.clocks_ok else '**disagree**'} (wall vs monotonic drift {r.clock_step_ms:.2f} ms); "
            f"{r.seconds:.0f} s."
        )
        shares = ", ".join(f"{k} {v:.2f}" for k, v in r.cpu.items() if k != "machine")
        lines.append(
            f"  CPU while publishing (cores busy, of {os.cpu_count()}): machine {r.cpu['machine']:.2f} = {shares} "
            "(postgres: every backend of the server, other users' included; other: everything else on the machine)."
        )
        if r.connect_failures:
            lines.append(f"  First connect failures: {'; '.join(r.connect_failures[:3])}")
    lines += [f"- {note}" for note in notes]
    for r in results:
        if not r.sql_per_event:
            continue
        counts = ", ".join(f"{v:.1f} {k}" for k, v in sorted(r.sql_per_event.items()))
        mix = ", ".join(f"`{k}` {v:.2f}" for k, v in sorted(r.statement_mix.items(), key=lambda kv: -kv[1]))
        lines += [
            "",
            f"SQL per event, **{r.label}** (`--trace-sql`, whole run, publishing request included): {counts}; "
            f"statements by kind: {mix}. "
            "Timeline of the event nearest the median latency (ms from the publishing COMMIT's return; "
            "a pool check-out includes its pre-ping round trip):",
            "",
            "| at ms | where | what | took ms |",
            "|---:|---|---|---:|",
        ]
        lines += [f"| {at:+.2f} | {where} | `{what}` | {took:.2f} |" for at, where, what, took in r.timeline]
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ main


def redis_answers(url: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:
        say(f"Redis at {url} does not answer ({type(exc).__name__}); skipping the two-replica setup")
        return False


async def benchmark(database: TestDatabase, args: argparse.Namespace, where: str, secret: str) -> str:
    org = await create_tenant(database, plugins=[_realtime_plugin.NAME])
    say(f"creating {args.users} customers with signed-in sessions")
    t0 = time.perf_counter()
    customers = await create_customers(database, org.id, args.users)
    say(f"  took {time.perf_counter() - t0:.1f} s")
    async with database.db.app_engine.connect() as conn:
        version = (await conn.exec_driver_sql("SHOW server_version")).scalar_one()
    await database.dispose()
    results: list[SetupResult] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="marcus-rt-bench-") as tmp:
        workdir = Path(tmp)
        one = start_server("api", database, secret, None, workdir, trace_sql=args.trace_sql)
        try:
            results.append(
                await run_setup(
                    "one process",
                    publish_to=one,
                    connect_to=one,
                    servers=[one],
                    slug=org.slug,
                    customers=customers,
                    database=database,
                    args=args,
                    target_p99=TARGET_P99_ONE,
                )
            )
        finally:
            one.stop()
        if args.skip_replicas:
            notes.append("Two-replica setup skipped (`--skip-replicas`).")
        elif not redis_answers(args.redis_url):
            notes.append(f"Two-replica setup skipped: Redis at `{args.redis_url}` does not answer.")
        else:
            a = start_server("A", database, secret, args.redis_url, workdir, trace_sql=args.trace_sql)
            b = start_server("B", database, secret, args.redis_url, workdir, trace_sql=args.trace_sql)
            try:
                results.append(
                    await run_setup(
                        "two replicas (Redis), commit on A, clients on B",
                        publish_to=a,
                        connect_to=b,
                        servers=[a, b],
                        slug=org.slug,
                        customers=customers,
                        database=database,
                        args=args,
                        target_p99=TARGET_P99_TWO,
                    )
                )
            finally:
                a.stop()
                b.stop()
            notes.append(
                f"Replicas share Redis `{args.redis_url}` (`AsyncRedisManager`, channel `socketio`); both run "
                "the relay, so an event committed on A is usually relayed by A (woken by its commit) and reaches "
                "B's clients through Redis; B's relay only polls (every 1 s) and may claim one now and then."
            )
    return report(results, where=where, version=version, args=args, notes=notes)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Commit-to-client latency of live notifications.")
    parser.add_argument("--users", type=int, default=1000, help="customers, one connected client each (default 1000)")
    parser.add_argument("--events", type=int, default=200, help="timed events per setup (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed events first (default 10)")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between events (default 0.05)")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes sharing the clients (default 1)")
    parser.add_argument(
        "--connect-concurrency", type=int, default=50, help="connections being opened at once (default 50)"
    )
    parser.add_argument("--connect-timeout", type=float, default=180.0, help="longest wait for all clients (s)")
    parser.add_argument("--settle", type=float, default=2.0, help="pause after connecting, before RSS (default 2 s)")
    parser.add_argument("--grace", type=float, default=5.0, help="longest wait for late deliveries (default 5 s)")
    parser.add_argument("--seed", type=int, default=1, help="seed choosing the target customers (default 1)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="Redis for the two-replica setup")
    parser.add_argument("--skip-replicas", action="store_true", help="measure the one-process setup only")
    parser.add_argument(
        "--trace-sql", action="store_true", help="record the servers' SQL and report a per-event timeline (diagnostic)"
    )
    args = parser.parse_args()
    if args.users < 1 or args.events < 1 or args.client_procs < 1 or args.interval < 0:
        parser.error("--users, --events and --client-procs must be positive, --interval not negative")
    return args


def main() -> None:
    args = parse_args()
    url, where = server_url()
    secret = secrets.token_urlsafe(32)
    say("creating and migrating a scratch database")
    database = create_database(url, [_realtime_plugin], secret_key=secret, access_token_ttl=3600)
    try:
        print(asyncio.run(benchmark(database, args, where, secret)))
    finally:
        drop_database(database.admin_url)
        say(f"dropped {make_url(database.admin_url).database}")


if __name__ == "__main__":
    main()
