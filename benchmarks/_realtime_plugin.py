"""The plugin the realtime latency benchmark serves (``benchmarks/realtime_latency.py``).

Loaded only by the benchmark (``_realtime_server.py`` and the scratch database's migration),
never installed. It declares one event with a ``Notice``, so the kernel's subscriber turns each
event into a notification pushed live to its customer, and two routes under ``/api/v1/rtbench``:

* ``POST /ping`` publishes ``Pinged`` for a customer in its own transaction and answers with the
  wall-clock time (``time.time_ns()``) taken just after the commit returned;
* ``GET /stats`` reports the event-loop lag of the server process (a sleeper task started in
  ``plugin_lifespan``), so a slow figure can be told apart from a saturated loop;
* ``GET /trace`` returns the timeline recorded by ``trace_kernel`` (diagnostics, only when the
  server was started with ``--trace-sql``): every statement with its start and duration, every
  pool check-out (each one pings the server first: ``pool_pre_ping``), every COMMIT, the relay's
  wake-ups and the hub's emits.

The routes take no token: the benchmark serves them on 127.0.0.1 only, to itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

import marcus
from marcus import SessionDep, hookimpl
from marcus.events import Event, Notice, publish

NAME = "rtbench"
LAG_TICK = 0.01  # seconds the lag monitor sleeps between samples

manifest = marcus.PluginManifest(name=NAME, version="1", description="Realtime latency benchmark (benchmarks/ only).")


class Pinged(Event):
    """One benchmark notification; ``sent_ns`` is ``time.time_ns()`` just before the commit."""

    name = "rtbench.pinged"
    notice = Notice(type="Bench", title="Ping", message="Ping {seq}")
    seq: int
    sent_ns: int


class PingIn(BaseModel):
    customer_id: uuid.UUID
    seq: int


class PingOut(BaseModel):
    seq: int
    event_id: uuid.UUID
    sent_ns: int
    committed_ns: int


class LagOut(BaseModel):
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class _LagMonitor:
    """How late a ``sleep(LAG_TICK)`` wakes up on the server's event loop."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self) -> None:
        clock = time.perf_counter
        while True:
            started = clock()
            await asyncio.sleep(LAG_TICK)
            self.samples.append(max(0.0, clock() - started - LAG_TICK))
            if len(self.samples) > 200_000:  # bounded memory whatever the run length
                del self.samples[:100_000]

    def summary(self) -> LagOut:
        ordered = sorted(self.samples) or [0.0]

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000.0

        return LagOut(samples=len(self.samples), p50_ms=at(0.5), p99_ms=at(0.99), max_ms=ordered[-1] * 1000.0)


class TraceEntry(BaseModel):
    start_ns: int
    duration_ns: int
    engine: str
    what: str


TRACE: deque[TraceEntry] = deque(maxlen=50_000)
_STARTED = "rtbench.started"


def trace_engines(engines: Mapping[str, AsyncEngine]) -> None:
    """Record statements, pool check-outs and commits of ``engines`` (label -> engine) in ``TRACE``."""
    for label, engine in engines.items():
        sync = engine.sync_engine

        def before(conn: Any, *_: Any) -> None:
            conn.info.setdefault(_STARTED, []).append(time.time_ns())

        def after(conn: Any, _cursor: Any, statement: str, *_: Any, label: str = label) -> None:
            started = conn.info[_STARTED].pop()
            TRACE.append(
                TraceEntry(
                    start_ns=started,
                    duration_ns=time.time_ns() - started,
                    engine=label,
                    what=" ".join(statement.split()),
                )
            )

        def mark(what: str, label: str = label) -> Any:
            def record(*_: Any) -> None:
                TRACE.append(TraceEntry(start_ns=time.time_ns(), duration_ns=0, engine=label, what=what))

            return record

        event.listen(sync, "before_cursor_execute", before)
        event.listen(sync, "after_cursor_execute", after)
        event.listen(sync, "commit", mark("COMMIT (starts)"))
        event.listen(sync.pool, "checkout", mark("pool check-out (after its pre-ping)"))


def trace_kernel(kernel: Any) -> None:
    """``trace_engines`` for the kernel's engines, plus marks for the relay's wake-up and the hub's emits.

    The bus and hub methods are wrapped on these instances only (diagnostics; no kernel code changes).
    """
    trace_engines({"app role": kernel.db.app_engine, "platform role": kernel.db.platform_engine})
    bus, hub = kernel.events, kernel.hub
    wake, wait, emit = bus.wake, bus.wait, hub.emit

    def traced_wake() -> None:
        TRACE.append(TraceEntry(start_ns=time.time_ns(), duration_ns=0, engine="kernel", what="EventBus.wake()"))
        wake()

    async def traced_wait(seconds: float) -> None:
        await wait(seconds)
        what = "relay loop resumes (EventBus.wait returned)"
        TRACE.append(TraceEntry(start_ns=time.time_ns(), duration_ns=0, engine="kernel", what=what))

    async def traced_emit(name: str, data: dict[str, Any], rooms: Any) -> None:
        started = time.time_ns()
        rooms = list(rooms)
        await emit(name, data, rooms)
        what = f"Hub.emit('{name}') to {len(rooms)} rooms"
        TRACE.append(TraceEntry(start_ns=started, duration_ns=time.time_ns() - started, engine="kernel", what=what))

    bus.wake, bus.wait, hub.emit = traced_wake, traced_wait, traced_emit


LAG = _LagMonitor()
router = APIRouter(tags=[NAME])


@router.post("/ping", response_model=PingOut, summary="Publish one benchmark event and report its commit time")
async def ping(body: PingIn, session: SessionDep) -> PingOut:
    async with session.begin():
        sent = time.time_ns()
        event_id = await publish(session, Pinged(customer_id=body.customer_id, seq=body.seq, sent_ns=sent))
    committed = time.time_ns()  # after COMMIT returned (and the relay was woken)
    return PingOut(seq=body.seq, event_id=event_id, sent_ns=sent, committed_ns=committed)


@router.get("/stats", response_model=LagOut, summary="Event-loop lag of this server process")
async def stats(reset: bool = False) -> LagOut:
    summary = LAG.summary()
    if reset:
        LAG.samples.clear()
    return summary


@router.get("/trace", response_model=list[TraceEntry], summary="SQL timeline between two times (ns)")
async def trace(since: int, until: int) -> list[TraceEntry]:
    return [entry for entry in TRACE if since <= entry.start_ns <= until]


@hookimpl
def register_event_types() -> list[type[Event]]:
    return [Pinged]


@hookimpl
def register_routers() -> APIRouter:
    return router


@contextlib.asynccontextmanager
async def _lag_monitor() -> AsyncIterator[None]:
    task = asyncio.create_task(LAG.run(), name="rtbench-loop-lag")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@hookimpl
def plugin_lifespan(app: Any) -> contextlib.AbstractAsyncContextManager[None]:
    del app
    return _lag_monitor()
