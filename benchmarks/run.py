"""Run every benchmark in this folder and write one markdown report.

Each ``benchmarks/*.py`` script (but this one) runs with this interpreter and prints markdown
on stdout; the report puts them under a header naming the machine and writes it to
``benchmarks/results/report.md`` (gitignored), then prints it.

    .venv/bin/python benchmarks/run.py [--quick] [--timeout 420] [NAME ...]

``NAME`` picks scripts by file stem (``startup``, ``tenant_binding``). The environment passes
through, so ``MARCUS_BENCH_DATABASE_URL`` reaches every script. The sections come in the order
of ``ORDER`` (the figures the project promises first), then any other script. Each script runs
with its own defaults plus ``ARGS``; ``--quick`` uses the smaller sizes of ``QUICK`` instead (for
a first look; the full run is the one to quote).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ("booking", "list_rls", "rbac_enforce", "realtime_latency", "invoice_pdf", "memory")
# Sizes of the report run, so that all of it stays under 15 minutes on 2 shared cores (booking's
# pgbench at 64 clients on one workspace's counter row is the slowest part at its default size).
ARGS: dict[str, list[str]] = {
    "booking": ["--pgbench-per-client", "100"],
    "startup": ["--later-runs", "2"],
}
QUICK: dict[str, list[str]] = {
    "booking": ["--seconds", "5", "--clients", "1,16", "--pgbench-per-client", "150", "--list-requests", "200"],
    "list_rls": ["-n", "500", "--http-n", "200"],
    "rbac_enforce": ["-n", "5000"],
    "realtime_latency": ["--users", "300", "--events", "100"],
    "invoice_pdf": ["-n", "100", "--long-n", "15", "--seconds", "2"],
    "memory": ["--seconds", "8"],
    "login": ["--seconds", "4"],
    "startup": ["--later-runs", "1"],
    "tenant_binding": ["-n", "2000", "--warmup", "100", "--max-seconds", "20"],
}


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    found.sort(key=lambda p: ORDER.index(p.stem) if p.stem in ORDER else len(ORDER))
    if not names:
        return found
    unknown = set(names) - {p.stem for p in found}
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have {', '.join(p.stem for p in found)}")
    return [p for p in found if p.stem in names]


def machine() -> str:
    """One line on where the figures come from."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} CPU(s) ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def run_one(script: Path, timeout: float, *, quick: bool = False) -> str:
    """The script's markdown, or a section saying how it failed."""
    extra = (QUICK if quick else ARGS).get(script.stem, [])
    print(f"== {script.name} {' '.join(extra)}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(script), *extra],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"## {script.stem}\n\n**Did not finish within {timeout:.0f} s.**\n"
    sys.stderr.write(done.stderr)
    took = (
        f"_`{' '.join([script.name, *extra])}` took {time.monotonic() - started:.1f} s; 1-minute load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other work on the machine skews the figures)._\n"
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-20:])
        return f"## {script.stem}\n\n**Failed with exit code {done.returncode}.**\n\n```\n{tail}\n```\n"
    return done.stdout.rstrip() + "\n\n" + took


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write benchmarks/results/report.md.")
    parser.add_argument("names", nargs="*", help="benchmarks to run (file stems); all when none")
    parser.add_argument("--timeout", type=float, default=420.0, help="longest run per script in seconds (default 420)")
    parser.add_argument(
        "--quick", action="store_true", help="smaller runs (see QUICK); the full run is the one to quote"
    )
    args = parser.parse_args()
    started, chosen = time.monotonic(), scripts(args.names)
    server = os.environ.get("MARCUS_BENCH_DATABASE_URL")
    where = f"PostgreSQL at `{server.split('@')[-1]}`" if server else "the embedded PostgreSQL (`.marcus/bench`)"
    sections = [run_one(script, args.timeout, quick=args.quick) for script in chosen]
    header = [
        "# Marcus benchmarks",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; {where}"
        f"{'; `--quick` sizes' if args.quick else ''}. Sections: {', '.join(p.stem for p in chosen)}; "
        f"the whole run took {(time.monotonic() - started) / 60:.1f} min.",
        "",
    ]
    report = "\n".join(header) + "\n" + "\n".join(sections)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.md").write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {RESULTS / 'report.md'})", file=sys.stderr)


if __name__ == "__main__":
    main()
