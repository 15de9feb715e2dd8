"""Role assignments and custom roles of a workspace.

Every change bumps the tenant's policy version first: that locks the tenant's policy row until
commit, so concurrent changes (two admins removing the two last owners) are serialized, and it
tells every replica to reload. Callers commit.

``assign_role`` / ``revoke_role`` / ``roles_of`` are the building blocks (identity, onboarding,
the CLI); the ``*_as`` functions behind ``/api/v1/roles`` add the rule that nobody grants,
takes away or edits permissions they do not hold themselves, and only owners make owners.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.models import User
from marcus.db.base import new_id
from marcus.declarations import ROLE_TEMPLATES, Scope
from marcus.errors import Conflict, Forbidden, Invalid, NotFound
from marcus.pagination import Page
from marcus.rbac.enforcer import PolicyEnforcer
from marcus.rbac.models import CustomRole, RoleAssignment
from marcus.rbac.permissions import OWNER, ROLE_DESCRIPTIONS, covers
from marcus.rbac.schemas import PermissionRead, RoleRead
from marcus.rbac.version import bump_version

RESERVED_NAMES = frozenset({"permissions"})  # a path of its own under /api/v1/roles


# ----------------------------------------------------------------------------- assignments


async def assign_role(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    """Give ``user_id`` the ``role`` (a template or custom role) in ``org_id``; idempotent."""
    await _ensure_user(session, org_id=org_id, user_id=user_id)
    await _ensure_role_exists(session, org_id=org_id, role=role)
    await bump_version(session, org_id)
    await session.execute(
        insert(RoleAssignment)
        .values(organization_id=org_id, id=new_id(), user_id=user_id, role=role)
        .on_conflict_do_nothing(index_elements=["organization_id", "user_id", "role"])
    )


async def revoke_role(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    """Take ``role`` from ``user_id`` in ``org_id`` (no-op when not held); never the last owner."""
    await _ensure_role_exists(session, org_id=org_id, role=role)
    await bump_version(session, org_id)
    if role == OWNER and await is_last_owner(session, org_id=org_id, user_id=user_id):
        raise Conflict(
            "This user is the workspace's last owner: make another owner first.",
            code="last_owner",
            errors=[{"field": "role", "message": "the last owner cannot be removed"}],
        )
    await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.organization_id == org_id, RoleAssignment.user_id == user_id, RoleAssignment.role == role
        )
    )


async def roles_of(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    """The roles ``user_id`` holds in ``org_id``, sorted."""
    rows = await session.scalars(
        select(RoleAssignment.role)
        .where(RoleAssignment.organization_id == org_id, RoleAssignment.user_id == user_id)
        .order_by(RoleAssignment.role)
    )
    return list(rows)


async def is_last_owner(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """True when ``user_id`` is an owner and no other active (unblocked, undeleted) owner exists."""
    if OWNER not in await roles_of(session, org_id=org_id, user_id=user_id):
        return False
    others = await session.scalar(
        select(func.count())
        .select_from(RoleAssignment)
        .join(User, (User.organization_id == RoleAssignment.organization_id) & (User.id == RoleAssignment.user_id))
        .where(
            RoleAssignment.organization_id == org_id,
            RoleAssignment.role == OWNER,
            RoleAssignment.user_id != user_id,
            User.deleted_at.is_(None),
            User.is_blocked.is_(False),
        )
    )
    return not others


async def _ensure_user(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    found = await session.scalar(
        select(User.id).where(User.organization_id == org_id, User.id == user_id, User.deleted_at.is_(None))
    )
    if found is None:
        raise NotFound("No such user in this workspace.", code="user_not_found")


async def _ensure_role_exists(session: AsyncSession, *, org_id: uuid.UUID, role: str) -> None:
    if role in ROLE_TEMPLATES or await _custom_role(session, org_id=org_id, name=role) is not None:
        return
    raise Invalid(
        f"There is no role '{role}' in this workspace.",
        code="unknown_role",
        errors=[{"field": "role", "message": f"unknown role '{role}'"}],
    )


# ---------------------------------------------------------------------------- custom roles


async def _custom_role(session: AsyncSession, *, org_id: uuid.UUID, name: str) -> CustomRole | None:
    return await session.scalar(select(CustomRole).where(CustomRole.organization_id == org_id, CustomRole.name == name))


def _read(role: CustomRole) -> RoleRead:
    return RoleRead(name=role.name, description=role.description, template=False, permissions=dict(role.permissions))


def template_roles(enforcer: PolicyEnforcer) -> list[RoleRead]:
    """The role templates with the permissions every declaration gives them."""
    return [
        RoleRead(name=r, description=ROLE_DESCRIPTIONS[r], template=True, permissions=enforcer.templates.get(r, {}))
        for r in ROLE_TEMPLATES
    ]


async def list_roles(
    session: AsyncSession, *, enforcer: PolicyEnforcer, org_id: uuid.UUID, page: int, limit: int
) -> Page[RoleRead]:
    """Templates first, then the workspace's custom roles by name."""
    custom = await session.scalars(
        select(CustomRole).where(CustomRole.organization_id == org_id).order_by(CustomRole.name)
    )
    roles = template_roles(enforcer) + [_read(r) for r in custom]
    items = roles[(page - 1) * limit : page * limit]
    return Page.of(items, page=page, limit=limit, total=len(roles))


async def get_role(session: AsyncSession, *, enforcer: PolicyEnforcer, org_id: uuid.UUID, name: str) -> RoleRead:
    """One role by name; 404 when the workspace has no such role."""
    if name in ROLE_TEMPLATES:
        return next(r for r in template_roles(enforcer) if r.name == name)
    role = await _custom_role(session, org_id=org_id, name=name)
    if role is None:
        raise NotFound(f"No role '{name}' in this workspace.", code="role_not_found")
    return _read(role)


def list_permissions(enforcer: PolicyEnforcer, *, page: int, limit: int) -> Page[PermissionRead]:
    """Every declared permission (the kernel's and the plugins'), by name."""
    rows = [
        PermissionRead(name=p.name, description=p.description, plugin=p.plugin)
        for p in sorted(enforcer.permissions.values(), key=lambda p: p.name)
    ]
    items = rows[(page - 1) * limit : page * limit]
    return Page.of(items, page=page, limit=limit, total=len(rows))


def _check_declared(enforcer: PolicyEnforcer, permissions: Mapping[str, Scope]) -> None:
    unknown = sorted(set(permissions) - set(enforcer.permissions))
    if unknown:
        raise Invalid(
            f"Unknown permission(s): {', '.join(unknown)}.",
            code="unknown_permission",
            errors=[{"field": f"permissions.{name}", "message": "not a declared permission"} for name in unknown],
        )


async def _ensure_holds(
    enforcer: PolicyEnforcer, *, org_id: uuid.UUID, actor_id: uuid.UUID, permissions: Mapping[str, Scope]
) -> None:
    """Nobody grants (or takes away) what they do not hold themselves, at least at that scope.

    Permissions no longer declared (an uninstalled plugin's) grant nothing and are skipped.
    """
    missing = [
        name
        for name, scope in sorted(permissions.items())
        if name in enforcer.permissions and not covers(await enforcer.check(org_id, actor_id, name), scope)
    ]
    if missing:
        raise Forbidden(
            f"You cannot grant or take away permissions you do not hold: {', '.join(missing)}.",
            code="permission_not_held",
            errors=[{"field": f"permissions.{name}", "message": "you do not hold it"} for name in missing],
        )


async def create_custom_role(
    session: AsyncSession,
    *,
    enforcer: PolicyEnforcer,
    org_id: uuid.UUID,
    actor_id: uuid.UUID,
    name: str,
    description: str,
    permissions: Mapping[str, Scope],
) -> RoleRead:
    """A new custom role; 409 when the name is taken (templates included)."""
    if name in RESERVED_NAMES:
        raise Invalid(f"'{name}' is reserved.", code="reserved_role", errors=[{"field": "name", "message": "reserved"}])
    if name in ROLE_TEMPLATES or await _custom_role(session, org_id=org_id, name=name):
        raise Conflict(f"A role named '{name}' already exists.", code="role_exists")
    _check_declared(enforcer, permissions)
    await _ensure_holds(enforcer, org_id=org_id, actor_id=actor_id, permissions=permissions)
    await bump_version(session, org_id)
    role = CustomRole(organization_id=org_id, name=name, description=description, permissions=dict(permissions))
    session.add(role)
    try:
        await session.flush()
    except IntegrityError as exc:  # created concurrently
        raise Conflict(f"A role named '{name}' already exists.", code="role_exists") from exc
    return _read(role)


async def update_custom_role(
    session: AsyncSession,
    *,
    enforcer: PolicyEnforcer,
    org_id: uuid.UUID,
    actor_id: uuid.UUID,
    name: str,
    description: str | None,
    permissions: Mapping[str, Scope] | None,
) -> RoleRead:
    """Change a custom role's description and/or replace its permissions."""
    role = await _editable(session, enforcer=enforcer, org_id=org_id, actor_id=actor_id, name=name)
    if permissions is not None:
        _check_declared(enforcer, permissions)
        await _ensure_holds(enforcer, org_id=org_id, actor_id=actor_id, permissions=permissions)
        role.permissions = dict(permissions)
    if description is not None:
        role.description = description
    await bump_version(session, org_id)
    await session.flush()
    return _read(role)


async def delete_custom_role(
    session: AsyncSession, *, enforcer: PolicyEnforcer, org_id: uuid.UUID, actor_id: uuid.UUID, name: str
) -> None:
    """Delete a custom role and take it from everyone holding it."""
    role = await _editable(session, enforcer=enforcer, org_id=org_id, actor_id=actor_id, name=name)
    await bump_version(session, org_id)
    await session.execute(
        delete(RoleAssignment).where(RoleAssignment.organization_id == org_id, RoleAssignment.role == name)
    )
    await session.delete(role)
    await session.flush()


async def _editable(
    session: AsyncSession, *, enforcer: PolicyEnforcer, org_id: uuid.UUID, actor_id: uuid.UUID, name: str
) -> CustomRole:
    if name in ROLE_TEMPLATES:
        raise Forbidden(f"'{name}' is a role template; templates cannot be changed.", code="template_role")
    role = await _custom_role(session, org_id=org_id, name=name)
    if role is None:
        raise NotFound(f"No role '{name}' in this workspace.", code="role_not_found")
    await _ensure_holds(enforcer, org_id=org_id, actor_id=actor_id, permissions=role.permissions)
    return role


# ------------------------------------------------------------------ assignments, checked


async def _ensure_may_manage(
    session: AsyncSession, *, enforcer: PolicyEnforcer, org_id: uuid.UUID, actor_id: uuid.UUID, role: str
) -> None:
    """The actor holds every permission of ``role``; only owners make or remove owners."""
    if role == OWNER and OWNER not in await roles_of(session, org_id=org_id, user_id=actor_id):
        raise Forbidden("Only an owner may make or remove owners.", code="owner_only")
    permissions = (await get_role(session, enforcer=enforcer, org_id=org_id, name=role)).permissions
    await _ensure_holds(enforcer, org_id=org_id, actor_id=actor_id, permissions=permissions)


async def assign_role_as(
    session: AsyncSession,
    *,
    enforcer: PolicyEnforcer,
    org_id: uuid.UUID,
    actor_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
) -> list[str]:
    """``assign_role`` on behalf of ``actor_id``, who must hold what the role grants (a user
    outside the workspace is a 404 before anything about the role is said)."""
    await _ensure_user(session, org_id=org_id, user_id=user_id)
    await _ensure_role_exists(session, org_id=org_id, role=role)
    await _ensure_may_manage(session, enforcer=enforcer, org_id=org_id, actor_id=actor_id, role=role)
    await assign_role(session, org_id=org_id, user_id=user_id, role=role)
    return await roles_of(session, org_id=org_id, user_id=user_id)


async def revoke_role_as(
    session: AsyncSession,
    *,
    enforcer: PolicyEnforcer,
    org_id: uuid.UUID,
    actor_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
) -> list[str]:
    """``revoke_role`` on behalf of ``actor_id``, who must hold what the role grants (a user
    outside the workspace is a 404 before anything about the role is said)."""
    await _ensure_user(session, org_id=org_id, user_id=user_id)
    await _ensure_role_exists(session, org_id=org_id, role=role)
    await _ensure_may_manage(session, enforcer=enforcer, org_id=org_id, actor_id=actor_id, role=role)
    await revoke_role(session, org_id=org_id, user_id=user_id, role=role)
    return await roles_of(session, org_id=org_id, user_id=user_id)


async def user_roles(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> list[str]:
    """``roles_of`` for an existing user of the workspace (404 otherwise)."""
    await _ensure_user(session, org_id=org_id, user_id=user_id)
    return await roles_of(session, org_id=org_id, user_id=user_id)
