"""Serve Marcus with the services and appointments plugins the way ``marcus serve`` serves it,
in its own process (``booking.py`` prepares the database first).

    MARCUS_DATABASE_URL=<owner URL of a migrated database> [MARCUS_WORKER=false] \\
        .venv/bin/python benchmarks/_booking_server.py --port 8123 [--parent PID]

``create_app(settings, plugins=[services, appointments])`` served by ``uvicorn.run`` with
``marcus serve``'s options (uvloop and httptools when installed, no access log). It does not
migrate or sync tenants. With ``--parent PID`` it stops itself once that process is gone.
"""

from __future__ import annotations

import argparse
import sys

import marcus_appointments.plugin as appointments_plugin
import marcus_services.plugin as services_plugin
import uvicorn
from _common import watch_parent

from marcus.app import create_app
from marcus.config import Settings
from marcus.logs import configure_logging


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve Marcus with services + appointments.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, help="stop when this process id is gone")
    args = parser.parse_args()
    settings = Settings()
    if not settings.database_url:
        sys.exit("set MARCUS_DATABASE_URL to the owner URL of a migrated database")
    configure_logging(settings.log_level, json_output=settings.log_json)
    if args.parent:
        watch_parent(args.parent)
    app = create_app(settings, plugins=[services_plugin, appointments_plugin])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
