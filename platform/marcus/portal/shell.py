"""The page shell every portal page goes through, kernel's and plugins' alike.

``page_context`` (a dependency the kernel puts on every page router) resolves the workspace,
the visitor (from the session cookies), the one-shot flash message, and refuses unsafe
requests without a valid CSRF token. ``render`` draws a template inside the workspace's
layout: its name, logo and slogan, the navigation filtered by what the visitor may do and by
the plugins the workspace enabled, the visitor's unread notifications badge and the form
token. ``page_require(permission)`` is ``require`` for pages: anonymous visitors are sent to
sign in, others without the permission get a 403 page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.principal import Principal
from marcus.auth.tokens import derive_key
from marcus.config import Settings
from marcus.declarations import PERMISSION_NAME
from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.errors import Forbidden, Unauthorized
from marcus.kernel import Kernel
from marcus.notifications import service as notifications
from marcus.portal import cookies, csrf
from marcus.portal.forms import FormErrors
from marcus.portal.templating import Portal
from marcus.portal.visitor import Visitor, resolve
from marcus.rbac import Grant
from marcus.rbac.deps import PERMISSION_ATTR
from marcus.settings.workspace import WorkspaceSettings, workspace_settings
from marcus.tenancy.resolver import Tenant

STATE = "marcus_page"
NOTIFICATIONS_READ = "kernel.notification:read"


class LoginRequired(Unauthorized):
    """The page needs a signed-in visitor: the portal answers with a redirect to sign in."""

    code = "sign_in_required"


@dataclass
class PageState:
    """What ``page_context`` established for this request (``tenant`` None on platform pages)."""

    kernel: Kernel
    visitor: Visitor
    tenant: Tenant | None = None
    session: AsyncSession | None = None
    flash: str | None = None

    @property
    def workspace(self) -> Tenant:
        """The page's workspace (every page but the platform's has one)."""
        if self.tenant is None:
            raise RuntimeError("platform pages belong to no workspace")
        return self.tenant

    @property
    def db(self) -> AsyncSession:
        """The request's tenant-bound session (every page but the platform's has one)."""
        if self.session is None:
            raise RuntimeError("platform pages have no workspace session")
        return self.session


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def page_state(request: Request) -> PageState:
    """The page state of this request; a clear error when a route is not a portal page."""
    state = request.scope.get("state", {}).get(STATE)
    if not isinstance(state, PageState):
        raise RuntimeError("render() works on portal pages only: return the router from register_pages")
    return state


async def page_context(request: Request, kernel: KernelDep, tenant: CurrentTenant, session: SessionDep) -> PageState:
    """Visitor, flash message and CSRF check of a workspace page (every page router has it)."""
    visitor = await resolve(request, kernel, tenant, session, portal_of(request).grace)
    state = PageState(kernel=kernel, visitor=visitor, tenant=tenant, session=session)
    request.scope.setdefault("state", {})[STATE] = state
    state.flash = _take_flash(request, kernel.settings)
    await csrf.check(request, kernel.settings)
    return state


async def platform_context(request: Request, kernel: KernelDep) -> PageState:
    """The same for platform pages, which belong to no workspace (workspace signup)."""
    state = PageState(kernel=kernel, visitor=Visitor(kernel=kernel))
    request.scope.setdefault("state", {})[STATE] = state
    state.flash = _take_flash(request, kernel.settings)
    await csrf.check(request, kernel.settings)
    return state


PageDep = Annotated[PageState, Depends(page_context)]


async def get_visitor(page: PageDep) -> Visitor:
    """The visitor of a workspace page (anonymous or signed in)."""
    return page.visitor


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


async def get_signed_in(visitor: VisitorDep, request: Request) -> Principal:
    """The signed-in visitor; anyone else is sent to sign in and brought back afterwards."""
    if visitor.principal is None:
        raise LoginRequired("Sign in to see this page.")
    return visitor.principal


SignedInDep = Annotated[Principal, Depends(get_signed_in)]


def page_require(permission: str) -> Any:
    """``require`` for pages: ``grant: Annotated[Grant, page_require("blog.post:write")]``.

    Anonymous visitors are redirected to sign in; signed-in visitors without the permission
    get a 403 page. The kernel checks at startup that the permission is declared.
    """
    if not PERMISSION_NAME.match(permission):
        raise ValueError(f"'{permission}' is not a permission name (<plugin>.<resource>:<action>)")

    async def check(visitor: VisitorDep) -> Grant:
        if visitor.principal is None:
            raise LoginRequired("Sign in to see this page.")
        grant = await visitor.grant(permission)
        if grant is None:
            raise Forbidden(f"Your account may not do this here (it needs '{permission}').", code="permission_denied")
        return grant

    setattr(check, PERMISSION_ATTR, permission)
    check.__name__ = f"page_require_{permission.replace('.', '_').replace(':', '_')}"
    return Depends(check)


# --- rendering -------------------------------------------------------------------------------


async def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Draw ``template`` (``"<plugin>/<file>.html"``, or the kernel's ``"portal/..."``) in the layout."""
    state = page_state(request)
    values = {**await layout_context(request, state), **(context or {})}
    html = portal_of(request).env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


async def layout_context(request: Request, state: PageState) -> dict[str, Any]:
    """What the layout needs: workspace branding, menu, visitor, badge, form token, flash."""
    settings = state.kernel.settings
    token = csrf.token(request, settings)
    workspace = workspace_settings(state.tenant) if state.tenant else None
    unread = await _unread(state)
    return {
        "request": request,
        "workspace": workspace,
        "logo_url": _logo_url(workspace),
        "visitor": state.visitor,
        "menu": await portal_of(request).menu_for(request, state),
        "unread": unread,
        "live": unread is not None,
        "csrf_token": token,
        "csrf_input": Markup('<input type="hidden" name="csrf_token" value="{}">').format(token),
        "flash": state.flash,
        "form": {},
        "errors": FormErrors(),
    }


def _logo_url(workspace: WorkspaceSettings | None) -> str | None:
    return "/api/v1/settings/logo" if workspace and workspace.logo_key else None


async def _unread(state: PageState) -> int | None:
    """The visitor's unread notifications (None when they have no notifications to see)."""
    grant = await state.visitor.grant(NOTIFICATIONS_READ)
    if grant is None or state.session is None or state.tenant is None:
        return None
    return await notifications.unread_count(state.session, grant, org_id=state.tenant.id)


# --- redirects and flash messages -------------------------------------------------------------


def redirect(request: Request, url: str, *, notice: str | None = None) -> RedirectResponse:
    """A 303 to ``url`` (after a successful POST), with an optional one-shot ``notice`` shown there."""
    if notice:
        flash(request, notice)
    return RedirectResponse(url, status_code=303)


def flash(request: Request, message: str) -> None:
    """Show ``message`` once, on the next page this browser opens."""
    settings: Settings = request.app.state.kernel.settings
    payload = base64.urlsafe_b64encode(json.dumps(message[:300]).encode()).decode().rstrip("=")
    value = f"{payload}.{_flash_mac(settings, payload)}"
    cookies.queue(request.scope.setdefault("state", {}), cookies.header(settings, cookies.FLASH, value, max_age=120))


def _flash_mac(settings: Settings, payload: str) -> str:
    mac = hmac.new(derive_key(settings, "portal.flash"), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def _take_flash(request: Request, settings: Settings) -> str | None:
    value = cookies.read(settings, request.cookies, cookies.FLASH)
    if not value or request.method != "GET":
        return None
    cookies.queue(request.scope.setdefault("state", {}), cookies.header(settings, cookies.FLASH, "", max_age=0))
    payload, _, mac = value.partition(".")
    if not hmac.compare_digest(mac, _flash_mac(settings, payload)):
        return None
    try:
        message = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return message if isinstance(message, str) else None


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value
