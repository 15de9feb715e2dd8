"""``create_app``: builds one ASGI app (Socket.IO around FastAPI) from settings and plugins.

Nothing happens at import time: engines, the plugin manager and the Socket.IO server are
made here, so a test builds an app with exactly the plugins it names.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from importlib.metadata import version
from typing import Any

import socketio
from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from sqlalchemy import text

from marcus.apidocs import mount_api_docs
from marcus.config import Settings
from marcus.dashboard.router import router as dashboard_router
from marcus.db.embedded import start_embedded
from marcus.db.engine import Database
from marcus.db.roles import app_role_problems
from marcus.deps import KernelDep, plugin_enabled
from marcus.errors import Unavailable, install_error_handlers, problem_responses
from marcus.identity import identity_lifespan, identity_routers
from marcus.kernel import Kernel
from marcus.logs import RequestIdMiddleware
from marcus.mail.sender import MailSender
from marcus.metrics import Metrics, MetricsMiddleware, metrics_listener, metrics_router
from marcus.notifications.handlers import KERNEL_EVENTS, kernel_handlers
from marcus.notifications.router import activities as activities_router
from marcus.notifications.router import notifications as notifications_router
from marcus.plugins import load_plugins
from marcus.portal.mount import mount_portal
from marcus.ratelimit import RateLimited, RateLimiter, rate_limited_handler
from marcus.rbac.deps import verify_routes
from marcus.rbac.enforcer import PolicyEnforcer
from marcus.rbac.router import router as roles_router
from marcus.realtime import Hub, gate_namespace
from marcus.realtime.namespace import NotificationsNamespace
from marcus.realtime.websocket import router as websocket_router
from marcus.rootroutes import mount_root_routers
from marcus.routing import gate_by_prefix
from marcus.settings.events import wire_settings_events
from marcus.settings.router import router as settings_router
from marcus.storage import open_storage
from marcus.storage.router import router as files_router
from marcus.tenancy.resolver import TenantResolver
from marcus.worker import background

log = logging.getLogger("marcus.app")
API_PREFIX = "/api/v1"


class UnsafeDatabaseRole(RuntimeError):
    """The app role could bypass row-level security; Marcus will not serve with it."""


class MarcusApp(socketio.ASGIApp):  # type: ignore[misc]
    """The ASGI app: Socket.IO in front, FastAPI (``api``) behind, kernel state in ``kernel``."""

    def __init__(self, sio: socketio.AsyncServer, api: FastAPI, kernel: Kernel, metrics: Metrics) -> None:
        super().__init__(sio, other_asgi_app=api)
        self.api = api
        self.kernel = kernel
        self.metrics = metrics


class Health(BaseModel):
    status: str


def resolve_admin_url(settings: Settings) -> str:
    """The owner/admin database URL: the configured one, or the embedded server's.

    A replica given only its app (and platform) URLs serves with those and starts nothing.
    """
    if settings.database_url:
        return settings.database_url
    if settings.app_database_url:
        return settings.app_database_url
    return start_embedded(settings.data_dir)


def create_app(settings: Settings | None = None, *, plugins: Sequence[object] | None = None) -> MarcusApp:
    """Build Marcus with ``plugins`` (modules with a manifest), or every installed plugin when None."""
    settings = settings or Settings()
    registry = load_plugins(plugins)
    admin_url = resolve_admin_url(settings)
    db = Database(settings, admin_url=admin_url)
    resolver = TenantResolver(
        db,
        base_domain=settings.base_domain,
        default_slug=settings.default_tenant,
        ttl=settings.tenant_cache_ttl,
    )
    manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=settings.cors_origins, client_manager=manager)
    kernel = Kernel(settings=settings, admin_url=admin_url, db=db, plugins=registry, tenants=resolver, sio=sio)
    kernel.rbac = PolicyEnforcer.from_settings(db, registry.permissions, settings)
    _wire_events(kernel)
    kernel.hub = Hub(sio, settings.redis_url)
    kernel.limiter, kernel.mail = RateLimiter(settings), MailSender(db, settings)
    kernel.storage = open_storage(settings)
    sio.register_namespace(NotificationsNamespace(kernel))
    metrics = Metrics(db, sio, settings=settings)
    api = FastAPI(
        title="Marcus",
        version=version("marcus-platform"),
        lifespan=_lifespan(kernel, metrics),
        responses=problem_responses(),
        docs_url=None,  # mount_api_docs serves /docs without a CDN
    )
    api.state.kernel, api.state.metrics = kernel, metrics
    install_error_handlers(api)
    api.add_exception_handler(RateLimited, rate_limited_handler)
    if settings.cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    api.add_middleware(RequestIdMiddleware)
    api.add_middleware(MetricsMiddleware, metrics=metrics)
    api.include_router(_health_router())
    mount_api_docs(api)
    if settings.metrics_enabled and settings.metrics_port is None:
        api.include_router(metrics_router())
    for router in (notifications_router, activities_router, dashboard_router, websocket_router):
        api.include_router(router)
    api.include_router(roles_router, prefix=f"{API_PREFIX}/roles")
    api.include_router(settings_router, prefix=API_PREFIX)
    api.include_router(files_router, prefix=API_PREFIX)
    for router in identity_routers(settings):
        api.include_router(router, prefix=API_PREFIX)
    _mount_plugins(api, kernel)
    mount_root_routers(api, kernel)  # before the portal: its pages share the root paths
    mount_portal(api, kernel)
    gate_by_prefix(api)
    verify_routes(api, kernel.rbac.permissions)
    return MarcusApp(sio, api, kernel, metrics)


def _mount_plugins(api: FastAPI, kernel: Kernel) -> None:
    registry, sio = kernel.plugins, kernel.sio
    for plugin, router in registry.routers:
        api.include_router(router, prefix=f"{API_PREFIX}/{plugin}", dependencies=[Depends(plugin_enabled(plugin))])
    for plugin, namespace in registry.namespaces:
        sio.register_namespace(gate_namespace(namespace, plugin, kernel))


def _wire_events(kernel: Kernel) -> None:
    bus = kernel.events
    bus.kernel = kernel
    bus.add_types(KERNEL_EVENTS)
    wire_settings_events(bus)
    bus.add_types(kernel.plugins.event_types.values())
    for handler in kernel_handlers(bus.types):
        bus.subscribe(handler)
    for plugin, handler in kernel.plugins.event_handlers:
        bus.subscribe(handler, plugin=plugin)
    kernel.db.bus = bus


def _lifespan(kernel: Kernel, metrics: Metrics) -> Any:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        problems = await app_role_problems(kernel.db.app_engine)
        if problems:
            raise UnsafeDatabaseRole("Refusing to serve: " + "; ".join(problems))
        async with AsyncExitStack() as stack:
            await kernel.hub.start()
            stack.push_async_callback(kernel.hub.stop)
            await stack.enter_async_context(kernel.rbac.running())
            await stack.enter_async_context(identity_lifespan(kernel))
            for plugin, manager in kernel.plugins.call("plugin_lifespan", app=kernel):
                log.info("entering lifespan of plugin %s", plugin)
                await stack.enter_async_context(_as_context(manager))
            settings = kernel.settings
            if settings.metrics_enabled and settings.metrics_port is not None:
                await stack.enter_async_context(metrics_listener(metrics, settings.metrics_host, settings.metrics_port))
            if settings.worker:
                await stack.enter_async_context(background(kernel, metrics=metrics))
            # Runs first at shutdown: Engine.IO's background tasks stop before anything they use.
            stack.push_async_callback(kernel.sio.shutdown)
            yield
        await kernel.db.dispose()

    return lifespan


def _as_context(value: Any) -> AbstractAsyncContextManager[None]:
    if hasattr(value, "__aenter__"):
        return value  # type: ignore[no-any-return]
    return asynccontextmanager(lambda: value)()


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """Liveness: the process answers."""
        return Health(status="ok")

    @router.get("/readyz", response_model=Health, responses={503: {"description": "Database unreachable"}})
    async def readyz(kernel: KernelDep) -> Health:
        """Readiness: the database answers as the app role."""
        try:
            async with kernel.db.app_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("readiness check failed: %s", type(exc).__name__)
            raise Unavailable("The database is unreachable.", code="database_unavailable") from exc
        return Health(status="ready")

    return router
