"""Mounting the portal into the app: kernel pages, each plugin's ``PageSet``, static files, the
cookie and security-header middleware, and HTML error pages for page paths.

A plugin's page router is mounted at ``/`` and every one of its paths must be the plugin's
own (``/<plugin>`` or ``/<plugin>/...``): startup refuses a page path, a menu entry or a
templates folder that is not, naming the plugin and the fix. Its pages answer 404 for a
workspace that has not enabled it (the same gate as its API) and sit behind the same page
context as the kernel's: visitor, CSRF check, layout.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marcus.declarations import MenuEntry, PageSet
from marcus.deps import plugin_enabled
from marcus.errors import MarcusError
from marcus.kernel import Kernel
from marcus.plugins import PluginError
from marcus.portal import cookies
from marcus.portal.pages import KERNEL_MENU, kernel_routers, platform_router
from marcus.portal.shell import STATE, LoginRequired, PageState, layout_context, page_context, platform_context
from marcus.portal.templating import STATIC, Portal
from marcus.portal.visitor import Visitor

NOT_PAGES = ("/api/", "/ws/", "/socket.io", "/static/", "/healthz", "/readyz", "/metrics")
RESERVED = frozenset({"api", "ws", "static", "portal", "healthz", "readyz", "metrics", "socket"})
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def is_page_path(path: str) -> bool:
    """True for the portal's paths: everything but the API, sockets, static files and probes."""
    return not (path.startswith(NOT_PAGES) or path in {p.rstrip("/") for p in NOT_PAGES})


def mount_portal(api: FastAPI, kernel: Kernel) -> None:
    """Serve the kernel's pages and every plugin's ``PageSet`` (call after the API routers)."""
    kernel_paths = _first_segments(kernel_routers())
    pagesets = [
        (plugin, _checked(plugin, pages, kernel.plugins.permissions, kernel_paths))
        for plugin, pages in kernel.plugins.pages
    ]
    menu: list[tuple[str | None, MenuEntry]] = [(None, KERNEL_MENU[0])]
    menu += [(plugin, entry) for plugin, pages in pagesets for entry in pages.menu]
    menu += [(None, entry) for entry in KERNEL_MENU[1:]]
    templates = {plugin: Path(pages.templates) for plugin, pages in pagesets if pages.templates is not None}
    api.state.portal = Portal(templates, menu)
    api.mount("/static/portal", StaticFiles(directory=STATIC), name="portal-static")
    for plugin, folder in templates.items():
        if (folder / "static").is_dir():
            api.mount(f"/static/{plugin}", StaticFiles(directory=folder / "static"), name=f"{plugin}-static")
    page = [Depends(page_context)]
    for router in kernel_routers():
        api.include_router(router, dependencies=page, include_in_schema=False)
    api.include_router(platform_router, dependencies=[Depends(platform_context)], include_in_schema=False)
    for plugin, pages in pagesets:
        gate = [*page, Depends(plugin_enabled(plugin))]
        api.include_router(pages.router, dependencies=gate, include_in_schema=False)
    api.add_middleware(PortalMiddleware)
    _install_error_pages(api)


def _first_segments(routers: list[APIRouter]) -> set[str]:
    return {route.path.strip("/").split("/")[0] for r in routers for route in r.routes if isinstance(route, APIRoute)}


def _checked(plugin: str, pages: PageSet, permissions: Any, kernel_paths: set[str]) -> PageSet:
    """Refuse pages outside the plugin's paths, menus pointing elsewhere, a missing templates folder."""
    if not isinstance(pages.router, APIRouter):
        raise PluginError(plugin, f"PageSet.router is {type(pages.router).__name__}", "give it a fastapi.APIRouter")
    if plugin in RESERVED or plugin in kernel_paths:
        raise PluginError(plugin, f"its pages would take the kernel's /{plugin}", "rename the plugin")
    for route in pages.router.routes:
        path = getattr(route, "path", "")
        if not isinstance(route, APIRoute) or not _owned(plugin, path):
            raise PluginError(plugin, f"page route {path!r} is not under /{plugin}", f"serve pages at /{plugin}/...")
    for entry in pages.menu:
        if not isinstance(entry, MenuEntry) or not _owned(plugin, entry.path.split("?")[0]):
            raise PluginError(plugin, f"menu entry {entry!r} does not link to its pages", f"link to /{plugin}/...")
        if (
            entry.permission is not None
            and entry.permission not in permissions
            and not entry.permission.startswith("kernel.")
        ):
            raise PluginError(
                plugin, f"menu entry '{entry.label}' needs the undeclared '{entry.permission}'", "declare it"
            )
    if pages.templates is not None and not Path(pages.templates).is_dir():
        raise PluginError(plugin, f"templates folder {pages.templates} does not exist", "point PageSet.templates at it")
    return pages


def _owned(plugin: str, path: str) -> bool:
    return path == f"/{plugin}" or path.startswith(f"/{plugin}/")


class PortalMiddleware:
    """Adds the cookies a page request queued, and the pages' security headers, to its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for cookie in scope.get("state", {}).get(cookies.PENDING, ()):
                    headers.append("set-cookie", cookie)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_cookies)


# --- HTML error pages ----------------------------------------------------------------------

Handler = Callable[[Request, Exception], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Response | Awaitable[Response]]
TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    409: "Conflict",
    422: "Invalid request",
    429: "Too many attempts",
}


def _install_error_pages(api: FastAPI) -> None:
    for key, handler in list(api.exception_handlers.items()):
        if isinstance(key, type) and issubclass(key, Exception):
            api.add_exception_handler(key, _page_or(handler))
    for key in (MarcusError, RequestValidationError, StarletteHTTPException):
        if key not in api.exception_handlers:
            api.add_exception_handler(key, _page_or(None))


def _page_or(original: AnyHandler | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if original is None or _wants_page(request):
            return await error_page(request, exc)
        response = original(request, exc)
        return await response if inspect.isawaitable(response) else response

    return handle


def _wants_page(request: Request) -> bool:
    """A page answered (HTML) for errors of portal routes; for paths no route matched, only
    when the client asks for HTML (browsers do), so API clients keep their problem details."""
    if not is_page_path(request.url.path):
        return False
    return STATE in request.scope.get("state", {}) or "text/html" in request.headers.get("accept", "")


def _status(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, MarcusError):
        return exc.status, exc.detail
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return 422, "This address or form is not valid."
    return 500, "Something went wrong on our side. It has been logged; please try again."


async def error_page(request: Request, exc: Exception) -> Response:
    """The error as a page in the workspace's layout (a redirect to sign in for ``LoginRequired``)."""
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    status, detail = _status(exc)
    kernel: Kernel = request.app.state.kernel
    found = request.scope.get("state", {}).get(STATE)
    if isinstance(found, PageState):  # no session: the request's may already be closed
        visitor = Visitor(kernel=kernel, principal=found.visitor.principal)
        state = PageState(kernel=kernel, visitor=visitor, tenant=found.tenant)
    else:
        state = PageState(kernel=kernel, visitor=Visitor(kernel=kernel), tenant=await _tenant(request, kernel))
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    try:
        values = {
            **await layout_context(request, state),
            "status": status,
            "title": TITLES.get(status, "Error"),
            "detail": detail,
        }
        html = request.app.state.portal.env.get_template("portal/error.html").render(values)
    except Exception:  # the error page must not fail: plain text instead
        html = f"<!doctype html><title>Error {status}</title><h1>Error {status}</h1>"
    return HTMLResponse(html, status_code=status, headers=headers)


async def _tenant(request: Request, kernel: Kernel) -> Any:
    try:
        return await kernel.tenants.resolve(request.headers.get("host"), request.headers.get("x-tenant"))
    except Exception:
        return None
