"""A probe plugin for the multi-process tests, installed only in their subprocesses.

``tests/test_scaleout.py`` and friends put this folder and a generated ``*.dist-info`` (its
entry point in ``marcus.plugins``) on the subprocesses' ``PYTHONPATH``, so ``marcus serve`` and
``marcus worker`` load it exactly as they load a third party's installed plugin, while the
shared virtualenv (and every other process) never sees it.

* ``probe.tick``: a scheduled job that appends ``<workspace slug> <pid>`` to the file named by
  ``MARCUS_PROBE_JOB_LOG`` (one line per run; O_APPEND, so concurrent runs never interleave);
* ``GET /api/v1/probe/slow?seconds=S``: holds a database connection for S seconds, to have a
  request in flight at will.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

import marcus
from marcus import SessionDep

manifest = marcus.PluginManifest(name="probe", version="1.0.0", description="Multi-process test probe")
JOB_SECONDS = 0.3  # long enough for several runners to overlap

router = APIRouter(tags=["probe"])


@router.get("/slow")
async def slow(session: SessionDep, seconds: Annotated[float, Query(ge=0, le=30)] = 1.0) -> dict[str, float | int]:
    """Sleep in the database for ``seconds``; answers with the serving process id."""
    await session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    return {"slept": seconds, "pid": os.getpid()}


async def tick(session: AsyncSession, tenant: marcus.Tenant) -> None:
    await session.execute(text("SELECT pg_sleep(:s)"), {"s": JOB_SECONDS})
    path = os.environ.get("MARCUS_PROBE_JOB_LOG")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{tenant.slug} {os.getpid()}\n".encode())
        finally:
            os.close(fd)


@marcus.hookimpl
def register_routers() -> APIRouter:
    return router


@marcus.hookimpl
def register_jobs() -> list[marcus.Job]:
    return [marcus.Job(name="probe.tick", every_seconds=3600, run=tick)]


def pythonpath(folder: Path) -> str:
    """Make ``folder`` an install of this plugin (a ``.dist-info`` with its entry point) and
    return the ``PYTHONPATH`` under which a subprocess loads it."""
    info = folder / "marcus_probe-1.0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: marcus-probe\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text("[marcus.plugins]\nprobe = marcus_probe\n")
    return os.pathsep.join([str(Path(__file__).parent), str(folder)])
