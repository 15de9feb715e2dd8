"""Prometheus metrics of one Marcus process: HTTP traffic by route template, database pools,
the outbox and mail backlogs, live connections and scheduled job runs.

One ``CollectorRegistry`` per app (a test process builds many apps). The request path only
bumps a counter and a histogram, labelled by the route *template* that matched
(``/api/v1/roles/users/{user_id}``), never the raw path; unmatched paths share one label.
Pool and connection gauges are read from memory when scraped. The backlog gauges are
database-wide: one query as the platform role (a named cross-tenant report), at most every
``metrics_backlog_ttl`` seconds, whatever the number of scrapes. No label carries a tenant, a
user or an id, so the output holds no tenant data.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marcus.config import Settings
from marcus.db.engine import Database
from marcus.declarations import Job
from marcus.errors import Unauthorized

log = logging.getLogger("marcus.metrics")

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.05, 0.25, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)
BACKLOG_TIMEOUT = 5.0
BACKLOG_SQL = text("""
SELECT
  (SELECT count(*) FROM event_outbox WHERE status = 'pending'),
  (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM event_outbox WHERE status = 'pending'),
  (SELECT count(*) FROM mail_messages WHERE status = 'pending'),
  (SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM mail_messages WHERE status = 'pending')
""")


def route_template(scope: Scope) -> str:
    """The path template of the route that served ``scope`` (after routing), or ``<unmatched>``.

    FastAPI 0.16x keeps included routers nested, so the matched ``APIRoute`` knows only its own
    part of the path; the full template is on the effective route context it records. Older
    versions flatten routes and the route itself has it. Duck-typed, like ``verify_routes``.
    """
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None) or getattr(scope.get("route"), "path_format", None)
    return template if isinstance(template, str) and template else UNMATCHED


class Metrics:
    """The registry of one app and the instruments the kernel updates."""

    def __init__(self, db: Database, sio: Any, *, settings: Settings) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no ``*_created`` twin per counter
        self.db = db
        self.token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        self.backlog_ttl = settings.metrics_backlog_ttl
        self.registry = registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=registry)
        self._add_http_instruments(registry)
        self._add_job_instruments(registry)
        self._add_backlog_gauges(registry)
        registry.register(_LiveCollector(db, sio))
        self._backlog_fresh_until = 0.0
        self._backlog_lock = asyncio.Lock()

    def _add_http_instruments(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "marcus_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "marcus_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self.websockets = Gauge("marcus_websocket_connections", "Open raw WebSocket connections.", registry=registry)
        # Labelled series by (method, route template, status): bounded by the app's routes.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def _add_job_instruments(self, registry: CollectorRegistry) -> None:
        self.job_runs = Counter(
            "marcus_job_runs",
            "Scheduled job runs in this process, by job and outcome (ok, error).",
            ["job", "outcome"],
            registry=registry,
        )
        self.job_duration = Histogram(
            "marcus_job_duration_seconds",
            "Time one scheduled job run took.",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=registry,
        )

    def _add_backlog_gauges(self, registry: CollectorRegistry) -> None:
        self.backlog = {
            name: Gauge(f"marcus_{name}", help_text, registry=registry)
            for name, help_text in (
                ("outbox_pending_events", "Events waiting in the outbox (all workspaces)."),
                ("outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox event (0 when none)."),
                ("mail_pending_messages", "Mail messages waiting to be sent (all workspaces)."),
                ("mail_oldest_pending_age_seconds", "Age of the oldest pending mail message (0 when none)."),
            )
        }
        self.backlog_errors = Counter(
            "marcus_metrics_backlog_errors",
            "Backlog queries that failed (the gauges keep their last values).",
            registry=registry,
        )

    # ------------------------------------------------------------------------------- exposure

    def authorized(self, authorization: str | None) -> bool:
        """True when no token is configured, or ``authorization`` is ``Bearer <that token>``."""
        if self.token is None:
            return True
        scheme, _, value = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode())

    async def render(self) -> bytes:
        """The text exposition of every metric, the backlog refreshed when its cache expired."""
        await self.refresh_backlog()
        return generate_latest(self.registry)

    async def refresh_backlog(self) -> None:
        """Re-read the backlog gauges when older than ``metrics_backlog_ttl`` (one query)."""
        if time.monotonic() < self._backlog_fresh_until:
            return
        async with self._backlog_lock:
            if time.monotonic() < self._backlog_fresh_until:
                return
            try:
                values = await asyncio.wait_for(_query_backlog(self.db.platform_engine), BACKLOG_TIMEOUT)
            except Exception as exc:  # the database may be down: metrics must still answer
                self.backlog_errors.inc()
                log.warning("reading the backlog for metrics failed: %s", type(exc).__name__)
            else:
                for gauge, value in zip(self.backlog.values(), values, strict=True):
                    gauge.set(float(value or 0))
            self._backlog_fresh_until = time.monotonic() + self.backlog_ttl

    # ------------------------------------------------------------------------------- recording

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request (called by the middleware)."""
        key = (method if method in METHODS else "OTHER", route, status)
        children = self._children.get(key)
        if children is None:  # first request of this kind: resolve the labelled series once
            children = self._children[key] = (
                self.requests.labels(key[0], route, str(status)),
                self.latency.labels(key[0], route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def instrument_jobs(self, jobs: Mapping[str, Job]) -> dict[str, Job]:
        """The same jobs, each run counted by outcome and timed."""
        return {name: dataclasses.replace(job, run=self._timed(job)) for name, job in jobs.items()}

    def _timed(self, job: Job) -> Callable[..., Awaitable[None]]:
        run, name = job.run, job.name

        async def timed(session: Any, tenant: Any) -> None:
            started, outcome = time.perf_counter(), "error"
            try:
                await run(session, tenant)
                outcome = "ok"
            finally:
                self.job_runs.labels(name, outcome).inc()
                self.job_duration.labels(name).observe(time.perf_counter() - started)

        return timed


async def _query_backlog(engine: AsyncEngine) -> tuple[Any, ...]:
    async with engine.connect() as conn:
        await conn.execute(text("SET LOCAL statement_timeout = 2000"))
        return tuple((await conn.execute(BACKLOG_SQL)).one())


# (metric suffix, help, QueuePool method): overflow() counts up from -pool_size, so it is clipped at 0.
POOL_GAUGES = (
    ("checked_out", "Database connections in use, by engine (app, platform).", "checkedout"),
    ("idle", "Open database connections waiting in the pool.", "checkedin"),
    ("size", "Configured pool size.", "size"),
    ("overflow", "Database connections open beyond the pool size.", "overflow"),
)


class _LiveCollector(Collector):
    """Gauges read from memory at scrape time: database pools and Socket.IO connections."""

    def __init__(self, db: Database, sio: Any) -> None:
        self.engines = {"app": db.app_engine, "platform": db.platform_engine}
        self.sio = sio

    def collect(self) -> Iterator[Metric]:
        yield from self._pools()
        yield self._sockets()

    def _pools(self) -> Iterator[Metric]:
        for name, help_text, reading in POOL_GAUGES:
            family = GaugeMetricFamily(f"marcus_db_pool_{name}", help_text, labels=["engine"])
            for engine_name, engine in self.engines.items():
                family.add_metric([engine_name], max(0, _reading(engine.sync_engine.pool, reading)))
            yield family

    def _sockets(self) -> Metric:
        family = GaugeMetricFamily(
            "marcus_socketio_connections", "Socket.IO connections to this process, by namespace.", labels=["namespace"]
        )
        rooms = getattr(getattr(self.sio, "manager", None), "rooms", None) or {}
        for namespace in sorted(set(getattr(self.sio, "namespace_handlers", {})) | set(rooms)):
            family.add_metric([namespace], len(rooms.get(namespace, {}).get(None, ())))
        return family


def _reading(pool: Any, method: str) -> int:
    reader = getattr(pool, method, None)
    return int(reader()) if callable(reader) else 0


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template; counts open WebSockets."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            self.metrics.websockets.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                self.metrics.websockets.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.metrics.observe(scope["method"], route_template(scope), status, time.perf_counter() - started)


def metrics_router() -> APIRouter:
    """``GET /metrics`` on the API port."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {"description": "Prometheus text exposition", "content": {"text/plain": {}}},
            401: {"description": "MARCUS_METRICS_TOKEN is set and the bearer token is missing or wrong"},
        },
    )
    async def read_metrics(request: Request) -> Response:
        """Prometheus metrics of this process (no tenant data; optionally behind a bearer token)."""
        metrics: Metrics = request.app.state.metrics
        if not metrics.authorized(request.headers.get("authorization")):
            raise Unauthorized("A valid metrics bearer token is required.", code="metrics_token_required")
        return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router


# ------------------------------------------------------------------------- separate listener

READ_TIMEOUT = 5.0
MAX_HEAD = 16 * 1024


@contextlib.asynccontextmanager
async def metrics_listener(metrics: Metrics, host: str, port: int) -> AsyncIterator[asyncio.Server]:
    """Serve ``GET /metrics`` on ``host:port`` while the block runs (``MARCUS_METRICS_PORT``).

    A minimal HTTP/1.0 answerer in the app's own event loop, so it reads the same registry and
    the same backlog cache as the API; it speaks only ``GET``/``HEAD /metrics``.
    """
    server = await asyncio.start_server(
        lambda r, w: _answer(metrics, r, w), host, port, limit=MAX_HEAD, reuse_address=True
    )
    log.info("metrics listening on http://%s:%d/metrics", host, port)
    try:
        yield server
    finally:
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), READ_TIMEOUT)


async def _answer(metrics: Metrics, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        status, body = await _respond(metrics, head.decode("latin-1"))
        writer.write(_http_response(status, body, with_body=not head.startswith(b"HEAD ")))
        await writer.drain()
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass  # a client that sent nothing usable, too much, or went away
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), READ_TIMEOUT)


async def _respond(metrics: Metrics, head: str) -> tuple[int, bytes]:
    request_line, *header_lines = head.split("\r\n")
    method, target, *_ = [*request_line.split(" "), "", ""]
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    if target.split("?", 1)[0] != "/metrics":
        return 404, b"not found\n"
    if method not in ("GET", "HEAD"):
        return 405, b"method not allowed\n"
    if not metrics.authorized(headers.get("authorization")):
        return 401, b"a valid metrics bearer token is required\n"
    return 200, await metrics.render()


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}


def _http_response(status: int, body: bytes, *, with_body: bool) -> bytes:
    content_type = CONTENT_TYPE_LATEST if status == 200 else "text/plain; charset=utf-8"
    head = (
        f"HTTP/1.0 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + (body if with_body else b"")
