"""Run every benchmark in this folder and write one markdown report.

Each ``benchmarks/*.py`` script (but this one) runs with this interpreter and prints markdown
on stdout; the report puts them under a header naming the machine and writes it to
``benchmarks/results/report.md`` (gitignored), then prints it.

    .venv/bin/python benchmarks/run.py [--timeout 300] [NAME ...]

``NAME`` picks scripts by file stem (``startup``, ``tenant_binding``). The environment passes
through, so ``MARCUS_BENCH_DATABASE_URL`` reaches every script.
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


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
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


def run_one(script: Path, timeout: float) -> str:
    """The script's markdown, or a section saying how it failed."""
    print(f"== {script.name}", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(script)], cwd=HERE.parent, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return f"## {script.stem}\n\n**Did not finish within {timeout:.0f} s.**\n"
    sys.stderr.write(done.stderr)
    took = (
        f"_`{script.name}` took {time.monotonic() - started:.1f} s; 1-minute load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other work on the machine skews the figures)._\n"
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-20:])
        return f"## {script.stem}\n\n**Failed with exit code {done.returncode}.**\n\n```\n{tail}\n```\n"
    return done.stdout.rstrip() + "\n\n" + took


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write benchmarks/results/report.md.")
    parser.add_argument("names", nargs="*", help="benchmarks to run (file stems); all when none")
    parser.add_argument("--timeout", type=float, default=300.0, help="longest run per script in seconds (default 300)")
    args = parser.parse_args()
    header = [
        "# Marcus benchmarks",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}.",
        "",
    ]
    sections = [run_one(script, args.timeout) for script in scripts(args.names)]
    report = "\n".join(header) + "\n" + "\n".join(sections)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report.md").write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {RESULTS / 'report.md'})", file=sys.stderr)


if __name__ == "__main__":
    main()
