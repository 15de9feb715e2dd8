"""``/api/v1/roles``: role templates, the workspace's custom roles and who holds which role.

Every route needs ``kernel.role:manage``; the services add that nobody grants, takes away or
edits permissions they do not hold themselves, and that only owners make or remove owners.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from marcus.deps import KernelDep, SessionDep
from marcus.pagination import Page, PageQuery
from marcus.rbac import service
from marcus.rbac.deps import Grant, require
from marcus.rbac.schemas import (
    ROLE_NAME,
    PermissionRead,
    RoleAssignmentCreate,
    RoleCreate,
    RoleRead,
    RoleUpdate,
    UserRolesRead,
)

router = APIRouter(tags=["roles"])
ManageRoles = Annotated[Grant, require("kernel.role:manage")]
RolePath = Annotated[str, Path(pattern=ROLE_NAME, max_length=40, description="Role name")]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        401: "Not signed in",
        403: "Missing permission",
        404: "No such role or user",
        409: "Conflict",
        422: "Invalid input",
    }
    return {s: {"description": text[s], "content": {"application/problem+json": {}}} for s in statuses}


@router.get("", response_model=Page[RoleRead], responses=_problems(401, 403, 422))
async def list_roles(grant: ManageRoles, paging: PageQuery, session: SessionDep, kernel: KernelDep) -> Page[RoleRead]:
    """List the role templates and the workspace's custom roles with their permissions."""
    return await service.list_roles(
        session, enforcer=kernel.rbac, org_id=grant.principal.org_id, page=paging.page, limit=paging.limit
    )


@router.get("/permissions", response_model=Page[PermissionRead], responses=_problems(401, 403, 422))
async def list_permissions(grant: ManageRoles, paging: PageQuery, kernel: KernelDep) -> Page[PermissionRead]:
    """List the declared permissions a custom role may include."""
    return service.list_permissions(kernel.rbac, page=paging.page, limit=paging.limit)


@router.post("", response_model=RoleRead, status_code=201, responses=_problems(401, 403, 409, 422))
async def create_role(body: RoleCreate, grant: ManageRoles, session: SessionDep, kernel: KernelDep) -> RoleRead:
    """Create a custom role from declared permissions."""
    role = await service.create_custom_role(
        session,
        enforcer=kernel.rbac,
        org_id=grant.principal.org_id,
        actor_id=grant.principal.user_id,
        name=body.name,
        description=body.description,
        permissions=body.permissions,
    )
    await session.commit()
    return role


@router.get("/{name}", response_model=RoleRead, responses=_problems(401, 403, 404, 422))
async def get_role(name: RolePath, grant: ManageRoles, session: SessionDep, kernel: KernelDep) -> RoleRead:
    """Read one role and its permissions."""
    return await service.get_role(session, enforcer=kernel.rbac, org_id=grant.principal.org_id, name=name)


@router.patch("/{name}", response_model=RoleRead, responses=_problems(401, 403, 404, 422))
async def update_role(
    name: RolePath, body: RoleUpdate, grant: ManageRoles, session: SessionDep, kernel: KernelDep
) -> RoleRead:
    """Change a custom role's description or permissions."""
    role = await service.update_custom_role(
        session,
        enforcer=kernel.rbac,
        org_id=grant.principal.org_id,
        actor_id=grant.principal.user_id,
        name=name,
        description=body.description,
        permissions=body.permissions,
    )
    await session.commit()
    return role


@router.delete("/{name}", status_code=204, response_class=Response, responses=_problems(401, 403, 404, 422))
async def delete_role(name: RolePath, grant: ManageRoles, session: SessionDep, kernel: KernelDep) -> None:
    """Delete a custom role and take it from everyone holding it."""
    await service.delete_custom_role(
        session, enforcer=kernel.rbac, org_id=grant.principal.org_id, actor_id=grant.principal.user_id, name=name
    )
    await session.commit()


@router.get("/users/{user_id}", response_model=UserRolesRead, responses=_problems(401, 403, 404, 422))
async def get_user_roles(user_id: uuid.UUID, grant: ManageRoles, session: SessionDep) -> UserRolesRead:
    """List the roles a user holds."""
    roles = await service.user_roles(session, org_id=grant.principal.org_id, user_id=user_id)
    return UserRolesRead(user_id=user_id, roles=roles)


@router.post("/users/{user_id}", response_model=UserRolesRead, responses=_problems(401, 403, 404, 422))
async def assign_user_role(
    user_id: uuid.UUID, body: RoleAssignmentCreate, grant: ManageRoles, session: SessionDep, kernel: KernelDep
) -> UserRolesRead:
    """Give a user a role."""
    roles = await service.assign_role_as(
        session,
        enforcer=kernel.rbac,
        org_id=grant.principal.org_id,
        actor_id=grant.principal.user_id,
        user_id=user_id,
        role=body.role,
    )
    await session.commit()
    return UserRolesRead(user_id=user_id, roles=roles)


@router.delete("/users/{user_id}/{role}", response_model=UserRolesRead, responses=_problems(401, 403, 404, 409, 422))
async def revoke_user_role(
    user_id: uuid.UUID, role: RolePath, grant: ManageRoles, session: SessionDep, kernel: KernelDep
) -> UserRolesRead:
    """Take a role from a user (never from the workspace's last owner)."""
    roles = await service.revoke_role_as(
        session,
        enforcer=kernel.rbac,
        org_id=grant.principal.org_id,
        actor_id=grant.principal.user_id,
        user_id=user_id,
        role=role,
    )
    await session.commit()
    return UserRolesRead(user_id=user_id, roles=roles)
