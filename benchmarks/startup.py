"""How long ``marcus serve`` takes to answer ``/healthz``, and how much memory it holds.

Starts ``marcus serve`` as a subprocess on a free port of 127.0.0.1 with a fresh temporary
``MARCUS_DATA_DIR`` and no ``MARCUS_DATABASE_URL``, so the embedded PostgreSQL runs initdb
(first run); stops it with SIGINT, then starts it again on the same data directory (later
runs: the cluster exists, the schema is migrated). After each start it idles ``--idle``
seconds and reads the resident memory (RSS) of the serving process. Each phase is timed
from the lines ``marcus serve`` prints on its way up.

With ``MARCUS_BENCH_DATABASE_URL`` (a superuser URL) set, the same runs follow against that
server with a scratch database (created by the first run, dropped at the end).

    .venv/bin/python benchmarks/startup.py [--later-runs 3] [--idle 2] [--timeout 90]

Prints markdown on stdout, progress on stderr. Every wait is bounded; the embedded servers
of this script's temporary data directories are stopped at the end (leftovers are killed
and reported).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
MIGRATED = re.compile(r"Migrating the database .*done \(([0-9.]+)s\)")


@dataclass
class Run:
    """One start of ``marcus serve``: when each line appeared (seconds after spawn) and what it held."""

    label: str
    lines: list[tuple[float, str]] = field(default_factory=list)
    healthy_at: float | None = None
    stopped_in: float | None = None
    rss_mb: float | None = None
    postgres_pss_mb: float | None = None

    def seen(self, prefix: str) -> float | None:
        return next((t for t, line in self.lines if line.startswith(prefix)), None)

    def phases(self) -> dict[str, float | None]:
        """Seconds spent in each phase of startup (None when the output did not show it)."""
        cli = self.seen("Using the embedded PostgreSQL")
        migrated = self.seen("Database up to date")
        serving = self.seen("Marcus is starting")
        match = next((MIGRATED.search(line) for _, line in self.lines if MIGRATED.search(line)), None)
        if migrated is None or serving is None or self.healthy_at is None or match is None:
            return {}
        migrate = float(match.group(1))
        before_migrate = migrated - migrate
        return {
            "imports + plugins": cli if cli is not None else before_migrate,
            "PostgreSQL start": before_migrate - cli if cli is not None else None,
            "migrate": migrate,
            "tenants + role check": serving - migrated,
            "app + uvicorn": self.healthy_at - serving,
        }


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def marcus_command() -> list[str]:
    """The ``marcus`` script of this environment, or the same entry point through ``-c``."""
    script = Path(sys.executable).with_name("marcus")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from marcus.cli import main; sys.argv[0] = 'marcus'; main()"]


def child_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """This environment without any MARCUS_* setting, plus the data dir (and the server, if any)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARCUS_")}
    env["MARCUS_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["MARCUS_DATABASE_URL"] = database_url
    return env


def read_lines(proc: subprocess.Popen[bytes], run: Run, started: float) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        run.lines.append((time.perf_counter() - started, raw.decode(errors="replace").rstrip()))


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_healthy(proc: subprocess.Popen[bytes], port: int, run: Run, started: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"marcus serve exited with {proc.returncode} before /healthz answered")
        if healthy(port):
            run.healthy_at = time.perf_counter() - started
            return
        time.sleep(0.02)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f} s")


def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """PostgreSQL processes serving ``pgdata``: the postmaster (by command line) and its children."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(proc)
            with contextlib.suppress(psutil.Error):
                found += proc.children(recursive=True)
    return found


def postgres_pss_mb(pgdata: Path) -> float | None:
    """Proportional memory of the embedded server (shared buffers counted once), when readable."""
    try:
        procs = postgres_processes(pgdata)
        return sum(p.memory_full_info().pss for p in procs) / MB if procs else None
    except (psutil.Error, AttributeError):
        return None


def stop(proc: subprocess.Popen[bytes], run: Run) -> None:
    """SIGINT (as Ctrl-C would), then SIGTERM and SIGKILL if it does not exit in time."""
    started = time.perf_counter()
    for sig, grace in ((signal.SIGINT, 30), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            say(f"marcus serve did not exit within {grace} s of {sig.name}")
    run.stopped_in = time.perf_counter() - started


def start_once(label: str, data_dir: Path, database_url: str | None, args: argparse.Namespace) -> Run:
    """Spawn ``marcus serve``, wait for /healthz, idle, read RSS, stop it."""
    run, port = Run(label=label), free_port()
    command = [*marcus_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=child_env(data_dir, database_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    reader = threading.Thread(target=read_lines, args=(proc, run, started), daemon=True)
    reader.start()
    try:
        wait_healthy(proc, port, run, started, args.timeout)
        time.sleep(args.idle)
        run.rss_mb = psutil.Process(proc.pid).memory_info().rss / MB
        if database_url is None:
            run.postgres_pss_mb = postgres_pss_mb((data_dir / "pg").resolve())
    except RuntimeError:
        stop(proc, run)
        reader.join(timeout=5)
        say("\n".join(line for _, line in run.lines[-30:]))
        raise
    stop(proc, run)
    reader.join(timeout=5)
    say(f"  {label}: /healthz after {run.healthy_at:.2f} s, RSS {run.rss_mb:.0f} MB, stopped in {run.stopped_in:.2f} s")
    return run


def kill_leftovers(pgdata: Path) -> int:
    """Stop what still serves ``pgdata`` (only this script's own temporary directory)."""
    procs = postgres_processes(pgdata)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=5)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    return len(procs)


def drop_scratch(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    url = make_url(database_url)
    maintenance = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.database or "")))


def series(title: str, database_url: str | None, args: argparse.Namespace) -> tuple[list[Run], int]:
    """A first run on a fresh data dir (and database), then ``--later-runs`` restarts on it."""
    data_dir = Path(tempfile.mkdtemp(prefix="marcus-bench-"))
    say(f"{title}: data dir {data_dir}")
    runs: list[Run] = []
    leftovers = 0
    try:
        runs.append(start_once("first run", data_dir, database_url, args))
        for i in range(args.later_runs):
            runs.append(start_once(f"later run {i + 1}", data_dir, database_url, args))
    finally:
        leftovers = kill_leftovers((data_dir / "pg").resolve())
        if database_url:
            drop_scratch(database_url)
        shutil.rmtree(data_dir, ignore_errors=True)
    return runs, leftovers


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report(title: str, runs: list[Run], leftovers: int, *, embedded: bool, idle: float) -> str:
    names = ["imports + plugins", "PostgreSQL start", "migrate", "tenants + role check", "app + uvicorn"]
    lines = [
        f"## Startup of `marcus serve` — {title}",
        "",
        "| run | to /healthz 200 (s) | "
        + " | ".join(f"{n} (s)" for n in names)
        + " | RSS (MB) |"
        + (" embedded PostgreSQL PSS (MB) |" if embedded else "")
        + " stop (s) |",
        "|---" + "|---:" * (len(names) + 3 + embedded) + "|",
    ]
    for run in runs:
        phases = run.phases()
        cells = [fmt(run.healthy_at), *(fmt(phases.get(n)) for n in names), fmt(run.rss_mb, 0)]
        cells += [fmt(run.postgres_pss_mb, 0)] if embedded else []
        lines.append(f"| {run.label} | " + " | ".join([*cells, fmt(run.stopped_in)]) + " |")
    later = [r.healthy_at for r in runs[1:] if r.healthy_at is not None]
    rss = [r.rss_mb for r in runs if r.rss_mb is not None]
    lines += [
        "",
        f"- First run: **{fmt(runs[0].healthy_at)} s**; later runs: "
        + ", ".join(f"{t:.2f}" for t in later)
        + (f" s (median **{statistics.median(later):.2f} s**)." if later else "."),
        f"- RSS of the `marcus serve` process after {idle:g} s idle: "
        f"**{min(rss):.0f} to {max(rss):.0f} MB** (target: under 200 MB)."
        if rss
        else "- RSS: not measured.",
        f"- PostgreSQL processes of the temporary data dir left after the last stop: {leftovers}.",
        "",
    ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time `marcus serve` until /healthz answers; read its RSS.")
    parser.add_argument("--later-runs", type=int, default=3, help="restarts on the same data dir (default 3)")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before reading RSS (default 2)")
    parser.add_argument("--timeout", type=float, default=90.0, help="longest wait for /healthz per run (default 90)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    say(f"command: {' '.join(marcus_command())} serve")
    runs, leftovers = series("embedded PostgreSQL", None, args)
    print(report("embedded PostgreSQL (fresh `MARCUS_DATA_DIR`)", runs, leftovers, embedded=True, idle=args.idle))
    server = os.environ.get("MARCUS_BENCH_DATABASE_URL")
    if server:
        scratch = f"marcus_bench_{uuid.uuid4().hex[:12]}"
        url = make_url(server).set(database=scratch).render_as_string(hide_password=False)
        shown = make_url(server).set(database=scratch).render_as_string(hide_password=True)
        runs, leftovers = series(f"real server {shown}", url, args)
        print(report(f"real server `{shown}` (scratch database)", runs, leftovers, embedded=False, idle=args.idle))


if __name__ == "__main__":
    main()
