"""Plugins' root routers (``register_root_routers``): routes at the site root, per workspace.

A root route shares its paths with the portal (``GET /blog`` is both the seed's JSON list and
the blog's page). So that a workspace without the plugin, or a browser loading a page, still
reaches the portal, a root route *matches* only when ``RootRoutesMiddleware`` marked the request
as one for a workspace that enabled its plugin and not a page load; otherwise routing goes on
to the next route, as if the root route did not exist.

Each included router is wrapped in a ``RootGate`` (a route whose ``matches`` checks the mark
first); the permission check of ``verify_routes`` still walks into it. Root routes are not in
the ``/api/v1`` OpenAPI schema: they serve another contract, documented by their plugin.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from marcus.deps import plugin_enabled
from marcus.kernel import Kernel

SCOPE_KEY = "marcus.root_plugins"


class RootGate(BaseRoute):
    """One included root router behind the gate: it matches only requests marked for its plugin.

    ``original_router`` and ``include_context`` are the wrapped entry's, so code walking the
    routing tree (the permission check of ``verify_routes``) still sees the routes inside.
    """

    def __init__(self, inner: BaseRoute, plugin: str) -> None:
        self.inner, self.plugin = inner, plugin

    @property
    def original_router(self) -> Any:
        return getattr(self.inner, "original_router", None)

    @property
    def include_context(self) -> Any:
        return getattr(self.inner, "include_context", None)

    @property
    def routes(self) -> list[BaseRoute]:
        """The plugin's own routes (APIRoute objects), for inspection."""
        router = self.original_router
        return list(router.routes) if router is not None else [self.inner]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.plugin not in scope.get(SCOPE_KEY, ()):
            return Match.NONE, {}
        return self.inner.matches(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.inner.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return self.inner.url_path_for(name, **path_params)


def mount_root_routers(api: FastAPI, kernel: Kernel) -> None:
    """Include every plugin's root routers (before the portal) behind the per-workspace gate."""
    segments: dict[str, set[str]] = {}
    for plugin, router in kernel.plugins.root_routers:
        for route in router.routes:
            segments.setdefault(_first_segment(getattr(route, "path", "")), set()).add(plugin)
        before = len(api.router.routes)
        api.include_router(router, dependencies=[Depends(plugin_enabled(plugin))])
        api.router.routes[before:] = [RootGate(entry, plugin) for entry in api.router.routes[before:]]
    if segments:
        api.add_middleware(RootRoutesMiddleware, kernel=kernel, segments=segments)


def _first_segment(path: str) -> str:
    return path.strip("/").split("/")[0]


def _is_page_load(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            accept = value.decode("latin-1").lower()
            return "text/html" in accept and "application/json" not in accept
    return False


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


class RootRoutesMiddleware:
    """Marks requests that root routes may answer: the workspace enabled the route's plugin and
    the request is not a browser page load. One (cached) tenant resolution, only for paths whose
    first segment a root route uses."""

    def __init__(self, app: ASGIApp, *, kernel: Kernel, segments: dict[str, set[str]]) -> None:
        self.app, self.kernel, self.segments = app, kernel, segments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            plugins = self.segments.get(_first_segment(scope["path"]))
            if plugins and not _is_page_load(scope):
                scope[SCOPE_KEY] = await self._enabled(scope, plugins)
        await self.app(scope, receive, send)

    async def _enabled(self, scope: Scope, plugins: set[str]) -> frozenset[str]:
        try:
            tenant = await self.kernel.tenants.resolve(_header(scope, b"host"), _header(scope, b"x-tenant"))
        except Exception:  # unknown workspace or database down: the normal routes answer
            return frozenset()
        return frozenset(p for p in plugins if tenant.has_plugin(p))
