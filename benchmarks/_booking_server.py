"""Serve Marcus with the services and appointments plugins the way ``marcus serve`` serves it,
in its own process (``booking.py`` prepares the database first).

    MARCUS_DATABASE_URL=<owner URL of a migrated database> [MARCUS_WORKER=false] \\
        .venv/bin/python benchmarks/_booking_server.py --port 8123 [--parent PID] [--processes N]

``create_app(settings, plugins=[services, appointments])`` served by ``uvicorn`` with
``marcus serve``'s options (uvloop and httptools when installed, no access log). It does not
migrate or sync tenants. With ``--parent PID`` it stops itself once that process is gone.

``--processes N`` (default 1) serves N independent processes on the same port: each binds its
own listening socket with ``SO_REUSEPORT`` and the kernel spreads new connections over them.
That is N replicas of ``marcus serve`` on one machine (ARCHITECTURE §11: one process per
container, scaled by replicas), not a change to ``marcus serve``; each is a whole app with its
own pools. The first process is the parent; it stops the others when it stops.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys

import marcus_appointments.plugin as appointments_plugin
import marcus_services.plugin as services_plugin
import uvicorn
from _common import watch_parent

from marcus.app import create_app
from marcus.config import Settings
from marcus.logs import configure_logging


def listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(port: int) -> None:
    settings = Settings()
    app = create_app(settings, plugins=[services_plugin, appointments_plugin])
    config = uvicorn.Config(app, log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[listening_socket(port)])


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve Marcus with services + appointments.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, help="stop when this process id is gone")
    parser.add_argument("--processes", type=int, default=1, help="serving processes on the port (SO_REUSEPORT)")
    args = parser.parse_args()
    settings = Settings()
    if not settings.database_url:
        sys.exit("set MARCUS_DATABASE_URL to the owner URL of a migrated database")
    configure_logging(settings.log_level, json_output=settings.log_json)
    children = []
    for _ in range(args.processes - 1):
        pid = os.fork()  # before any app, loop or connection exists
        if pid == 0:
            watch_parent(os.getppid())
            serve(args.port)
            os._exit(0)
        children.append(pid)
    if args.parent:
        watch_parent(args.parent)
    try:
        serve(args.port)
    finally:
        for pid in children:
            os.kill(pid, signal.SIGINT)
        for pid in children:
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
