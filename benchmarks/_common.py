"""Shared by the benchmark scripts: progress messages and the PostgreSQL server to measure."""

from __future__ import annotations

import os
import sys
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
