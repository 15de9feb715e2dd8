"""Serve Marcus with the benchmark plugin, the way ``marcus serve`` serves it, in its own process.

    MARCUS_DATABASE_URL=<owner URL of a migrated database> [MARCUS_REDIS_URL=redis://...] \\
        .venv/bin/python benchmarks/_realtime_server.py --port 8123

Settings come from ``MARCUS_*`` like ``marcus serve``; the app is ``create_app(settings,
plugins=[_realtime_plugin])`` (the kernel plus the benchmark plugin), served by ``uvicorn.run``
with ``marcus serve``'s options (uvloop, httptools and websockets when installed). It does not
migrate or sync tenants: ``realtime_latency.py`` prepares the database first. With
``--parent PID`` it stops itself (SIGINT, a graceful uvicorn shutdown) once that process is gone,
so a killed benchmark leaves no server behind. ``--trace-sql`` records the timeline of SQL,
relay wake-ups and emits that ``GET /api/v1/rtbench/trace`` returns (diagnostics: the
listeners cost a little time).
"""

from __future__ import annotations

import argparse
import sys

import _realtime_plugin
import uvicorn
from _common import watch_parent

from marcus.app import create_app
from marcus.config import Settings
from marcus.logs import configure_logging


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve Marcus with the realtime benchmark plugin.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, help="stop when this process id is gone")
    parser.add_argument("--trace-sql", action="store_true", help="record the timeline for GET /api/v1/rtbench/trace")
    args = parser.parse_args()
    settings = Settings()
    if not settings.database_url:
        sys.exit("set MARCUS_DATABASE_URL to the owner URL of a migrated database")
    configure_logging(settings.log_level, json_output=settings.log_json)
    if args.parent:
        watch_parent(args.parent)
    app = create_app(settings, plugins=[_realtime_plugin])
    if args.trace_sql:
        _realtime_plugin.trace_kernel(app.kernel)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
