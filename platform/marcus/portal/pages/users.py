"""Users and roles: the workspace's people (search, filter by role), blocking, and each
person's role. Staff may look; changing needs ``kernel.user:write`` (owners and admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from marcus.errors import MarcusError
from marcus.portal.shell import PageDep, page_require, redirect, render
from marcus.rbac import Grant
from marcus.rbac import service as roles
from marcus.users import service

router = APIRouter()
CanRead = Annotated[Grant, page_require("kernel.user:read")]
CanWrite = Annotated[Grant, page_require("kernel.user:write")]
PER_PAGE = 25


@router.get("/users", response_class=HTMLResponse)
async def list_users(
    request: Request,
    page: PageDep,
    grant: CanRead,
    q: Annotated[str | None, Query(max_length=100)] = None,
    role: Annotated[str | None, Query(max_length=60)] = None,
    number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """The workspace's users with their roles."""
    org_id = grant.principal.org_id
    found, held = await service.list_users(
        page.db, org_id=org_id, q=q or None, role=role or None, page=number, limit=PER_PAGE
    )
    role_page = await roles.list_roles(page.db, enforcer=page.kernel.rbac, org_id=org_id, page=1, limit=100)
    values = {
        "users": found,
        "held": held,
        "roles": [r.name for r in role_page.items],
        "query": {"q": q or "", "role": role or ""},
        "can_write": await page.visitor.can("kernel.user:write"),
        "me": grant.principal.user_id,
    }
    return await render(request, "portal/users.html", values)


@router.post("/users/{user_id}/block")
async def block_user(request: Request, user_id: uuid.UUID, page: PageDep, grant: CanWrite) -> Response:
    """Block a user: their sessions end at once."""
    return await _set_blocked(request, page, grant, user_id, blocked=True)


@router.post("/users/{user_id}/unblock")
async def unblock_user(request: Request, user_id: uuid.UUID, page: PageDep, grant: CanWrite) -> Response:
    """Unblock a user."""
    return await _set_blocked(request, page, grant, user_id, blocked=False)


async def _set_blocked(request: Request, page: PageDep, grant: Grant, user_id: uuid.UUID, *, blocked: bool) -> Response:
    try:
        user = await service.set_blocked(page.db, actor=grant.principal, user_id=user_id, blocked=blocked)
    except MarcusError as exc:
        return redirect(request, "/users", notice=exc.detail)
    return redirect(request, "/users", notice=f"{user.email} is {'blocked' if blocked else 'unblocked'}.")


@router.post("/users/{user_id}/role")
async def change_role(request: Request, user_id: uuid.UUID, page: PageDep, grant: CanWrite) -> Response:
    """Give a user exactly one role."""
    role = str((await request.form()).get("role") or "").strip()
    try:
        user, _ = await service.change_role(page.db, actor=grant.principal, user_id=user_id, role=role)
    except MarcusError as exc:
        return redirect(request, "/users", notice=exc.detail)
    return redirect(request, "/users", notice=f"{user.email} is now {role}.")
