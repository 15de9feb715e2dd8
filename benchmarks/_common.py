"""Shared by the benchmark scripts: progress messages and the PostgreSQL server to measure."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from marcus.db.embedded import start_embedded

ROOT = Path(__file__).resolve().parent.parent


def say(message: str) -> None:
    """Progress on stderr (stdout carries the markdown report)."""
    print(message, file=sys.stderr, flush=True)


def server_url() -> tuple[str, str]:
    """(superuser URL, description) of the server to measure: MARCUS_BENCH_DATABASE_URL or embedded."""
    url = os.environ.get("MARCUS_BENCH_DATABASE_URL")
    if url:
        return url, f"real server `{make_url(url).render_as_string(hide_password=True)}`"
    say("starting the embedded PostgreSQL under .marcus/bench")
    return start_embedded(ROOT / ".marcus" / "bench", database="postgres"), "embedded server (`.marcus/bench`)"


def watch_parent(pid: int) -> None:
    """In a benchmark's server process: SIGINT ourselves when ``pid`` (the benchmark) exits,
    checked twice a second, then exit hard if still up 15 s later."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(15)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
