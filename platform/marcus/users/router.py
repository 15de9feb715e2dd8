"""``/api/v1/me`` (your own account) and ``/api/v1/users`` (admin user management)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from marcus.auth.deps import CurrentPrincipal
from marcus.auth.schemas import UserRead
from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.pagination import PageQuery
from marcus.rbac import Grant, require
from marcus.storage import UploadRoute, image_response, image_responses
from marcus.users import service
from marcus.users.schemas import EmailChangeVerify, RoleUpdate, UserCreate, UserPage, UserUpdate

me_router = APIRouter(prefix="/me", tags=["me"], route_class=UploadRoute)
users_router = APIRouter(prefix="/users", tags=["users"])
CanRead = Annotated[Grant, require("kernel.user:read")]
CanWrite = Annotated[Grant, require("kernel.user:write")]


@me_router.get("", response_model=UserRead)
async def get_me(principal: CurrentPrincipal, session: SessionDep) -> UserRead:
    """Your profile and roles."""
    user = await service.get_user(session, org_id=principal.org_id, user_id=principal.user_id)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@me_router.patch("", response_model=UserRead)
async def update_me(
    body: UserUpdate, principal: CurrentPrincipal, session: SessionDep, tenant: CurrentTenant, kernel: KernelDep
) -> UserRead:
    """Update your profile (whitelisted fields; a new email waits for its emailed code)."""
    user, pending = await service.update_profile(
        session, kernel.settings, tenant=tenant, principal=principal, data=body
    )
    return UserRead.of(user, roles=await service.user_roles(session, user=user), pending_email=pending)


@me_router.post("/email/verify", response_model=UserRead)
async def verify_email_change(
    body: EmailChangeVerify, principal: CurrentPrincipal, session: SessionDep, kernel: KernelDep
) -> UserRead:
    """Confirm your new email address with the code sent to it."""
    user = await service.confirm_email_change(session, kernel.settings, principal=principal, code=body.code)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@me_router.put("/avatar", response_model=UserRead)
async def upload_avatar(
    file: Annotated[UploadFile, File(description="PNG, JPEG or WebP")],
    principal: CurrentPrincipal,
    session: SessionDep,
    tenant: CurrentTenant,
    kernel: KernelDep,
) -> UserRead:
    """Upload your avatar (PNG, JPEG or WebP, size-limited)."""
    user = await service.set_avatar(session, kernel, tenant=tenant, principal=principal, upload=file)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@me_router.delete("", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_me(principal: CurrentPrincipal, session: SessionDep) -> None:
    """Delete your account (soft: you are signed out everywhere and cannot sign in again)."""
    await service.soft_delete(session, org_id=principal.org_id, user_id=principal.user_id)


@users_router.get("", response_model=UserPage)
async def list_users(
    session: SessionDep,
    tenant: CurrentTenant,
    paging: PageQuery,
    _: CanRead,
    role: Annotated[str | None, Query(max_length=60)] = None,
    blocked: bool | None = None,
    verified: bool | None = None,
    deleted: bool = False,
    q: Annotated[str | None, Query(max_length=100, description="Search in name and email")] = None,
) -> UserPage:
    """List the workspace's users (filter by role, blocked, verified; search name and email)."""
    page, roles = await service.list_users(
        session,
        org_id=tenant.id,
        role=role,
        blocked=blocked,
        verified=verified,
        q=q,
        deleted=deleted,
        page=paging.page,
        limit=paging.limit,
    )
    items = [UserRead.of(u, roles=roles.get(u.id, [])) for u in page.items]
    return UserPage(items=items, page=page.page, limit=page.limit, total=page.total, pages=page.pages)


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, session: SessionDep, tenant: CurrentTenant, kernel: KernelDep, _: CanWrite
) -> UserRead:
    """Create a verified user with a role."""
    user = await service.admin_create_user(session, kernel.settings, org_id=tenant.id, data=body)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@users_router.get("/{user_id}", response_model=UserRead)
async def get_user(user_id: uuid.UUID, session: SessionDep, grant: CanRead) -> UserRead:
    """Read one user."""
    user = await service.get_user(session, org_id=grant.principal.org_id, user_id=user_id)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@users_router.get("/{user_id}/avatar", response_class=StreamingResponse, responses=image_responses())
async def get_avatar(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, kernel: KernelDep
) -> StreamingResponse:
    """A user's avatar image (any signed-in member of the workspace)."""
    return image_response(await service.open_avatar(session, kernel, org_id=principal.org_id, user_id=user_id))


@users_router.post("/{user_id}/block", response_model=UserRead)
async def block_user(user_id: uuid.UUID, session: SessionDep, grant: CanWrite) -> UserRead:
    """Block a user: their sessions end at once and they cannot sign in."""
    user = await service.set_blocked(session, actor=grant.principal, user_id=user_id, blocked=True)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@users_router.post("/{user_id}/unblock", response_model=UserRead)
async def unblock_user(user_id: uuid.UUID, session: SessionDep, grant: CanWrite) -> UserRead:
    """Unblock a user."""
    user = await service.set_blocked(session, actor=grant.principal, user_id=user_id, blocked=False)
    return UserRead.of(user, roles=await service.user_roles(session, user=user))


@users_router.put("/{user_id}/role", response_model=UserRead)
async def change_user_role(user_id: uuid.UUID, body: RoleUpdate, session: SessionDep, grant: CanWrite) -> UserRead:
    """Give a user exactly one role."""
    user, roles = await service.change_role(session, actor=grant.principal, user_id=user_id, role=body.role)
    return UserRead.of(user, roles=roles)


@users_router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_user(user_id: uuid.UUID, session: SessionDep, grant: CanWrite) -> None:
    """Delete a user (soft: history stays, sign-in ends)."""
    await service.delete_user(session, actor=grant.principal, user_id=user_id)
