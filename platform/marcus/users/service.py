"""Profiles and admin user management. Keyword-only; each write commits; errors are domain errors."""

from __future__ import annotations

import uuid
from collections import defaultdict

from fastapi import UploadFile
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth import codes
from marcus.auth.models import User
from marcus.auth.principal import Principal
from marcus.auth.schemas import RegistrationCreate
from marcus.auth.service import create_user, email_taken, find_user, mail_code
from marcus.auth.sessions import revoke_user_sessions
from marcus.auth.tokens import now
from marcus.config import Settings
from marcus.errors import Conflict, NotFound
from marcus.kernel import Kernel
from marcus.pagination import Page, paginate
from marcus.rbac import assign_role, revoke_role, roles_of
from marcus.rbac.models import RoleAssignment
from marcus.storage import Download, TenantFiles, open_image, save_image, workspace_files
from marcus.storage.keys import KERNEL
from marcus.tenancy.resolver import Tenant
from marcus.users.schemas import UserCreate, UserUpdate


async def get_user(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """A user of the workspace (not deleted); 404 otherwise, whether it exists elsewhere or not."""
    user = await session.scalar(
        select(User).where(User.organization_id == org_id, User.id == user_id, User.deleted_at.is_(None))
    )
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user


async def user_roles(session: AsyncSession, *, user: User) -> list[str]:
    return await roles_of(session, org_id=user.organization_id, user_id=user.id)


async def update_profile(
    session: AsyncSession, settings: Settings, *, tenant: Tenant, principal: Principal, data: UserUpdate
) -> tuple[User, str | None]:
    """Apply the whitelisted fields; a new email gets a code and waits. Returns (user, pending email)."""
    user = await get_user(session, org_id=principal.org_id, user_id=principal.user_id)
    changes = data.model_dump(exclude_unset=True, exclude={"email"})
    for field in ("first_name", "last_name"):
        if field in changes and changes[field] is None:
            del changes[field]  # required names cannot be cleared
    for field, value in changes.items():
        setattr(user, field, value)
    pending = data.email if data.email and data.email != user.email.lower() else None
    if pending is not None:
        if await find_user(session, org_id=principal.org_id, email=pending) is not None:
            raise email_taken()
        await mail_code(session, settings, tenant=tenant, user=user, purpose=codes.EMAIL_CHANGE, to=pending)
    await session.commit()
    return user, pending


async def confirm_email_change(session: AsyncSession, settings: Settings, *, principal: Principal, code: str) -> User:
    """Switch to the new address once its code is confirmed."""
    user = await get_user(session, org_id=principal.org_id, user_id=principal.user_id)
    checked = await codes.check_code(
        session, settings, org_id=principal.org_id, user_id=user.id, purpose=codes.EMAIL_CHANGE, code=code
    )
    assert checked.new_email is not None
    if await find_user(session, org_id=principal.org_id, email=checked.new_email) is not None:
        await session.rollback()
        raise email_taken()
    user.email = checked.new_email
    await session.commit()
    return user


async def set_avatar(
    session: AsyncSession, kernel: Kernel, *, tenant: Tenant, principal: Principal, upload: UploadFile
) -> User:
    """Store an uploaded image (PNG, JPEG or WebP) as the caller's avatar: the new file is removed
    if the change does not commit, the replaced one once it did."""
    user = await get_user(session, org_id=principal.org_id, user_id=principal.user_id)
    files = workspace_files(kernel, tenant, KERNEL)
    async with files.staging(session) as stage:
        stored = await save_image(stage, upload, name="avatar", max_bytes=kernel.settings.avatar_max_bytes)
        stage.release(user.image)
        user.image = stored.key
        await session.commit()
    return user


async def open_avatar(session: AsyncSession, kernel: Kernel, *, org_id: uuid.UUID, user_id: uuid.UUID) -> Download:
    """The stored avatar of a user of this workspace; 404 when there is none."""
    user = await get_user(session, org_id=org_id, user_id=user_id)
    files = TenantFiles(kernel.storage, org_id=org_id, plugin=KERNEL)
    return await open_image(files, user.image, missing=NotFound("This user has no avatar.", code="avatar_not_found"))


async def soft_delete(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Mark the user deleted and end their sessions (rows stay for invoices and history)."""
    user = await get_user(session, org_id=org_id, user_id=user_id)
    user.deleted_at = now()
    await revoke_user_sessions(session, org_id=org_id, user_id=user_id, reason="account_deleted")
    await session.commit()


def _filtered(
    org_id: uuid.UUID, *, role: str | None, blocked: bool | None, verified: bool | None, q: str | None, deleted: bool
) -> Select[User]:
    statement = select(User).where(User.organization_id == org_id)
    statement = statement.where(User.deleted_at.is_not(None) if deleted else User.deleted_at.is_(None))
    if blocked is not None:
        statement = statement.where(User.is_blocked.is_(blocked))
    if verified is not None:
        statement = statement.where(User.is_verified.is_(verified))
    if role:
        holders = select(RoleAssignment.user_id).where(
            RoleAssignment.organization_id == org_id, RoleAssignment.role == role
        )
        statement = statement.where(User.id.in_(holders))
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        name = func.concat(User.first_name, " ", User.last_name)
        statement = statement.where(or_(User.email.ilike(pattern, escape="\\"), name.ilike(pattern, escape="\\")))
    return statement.order_by(User.created_at.desc(), User.id.desc())


async def list_users(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    role: str | None = None,
    blocked: bool | None = None,
    verified: bool | None = None,
    q: str | None = None,
    deleted: bool = False,
    page: int,
    limit: int,
) -> tuple[Page[User], dict[uuid.UUID, list[str]]]:
    """One page of users matching the filters, and the roles of those users (one more statement)."""
    statement = _filtered(org_id, role=role, blocked=blocked, verified=verified, q=q, deleted=deleted)
    result = await paginate(session, statement, page=page, limit=limit)
    ids = [u.id for u in result.items]
    roles: dict[uuid.UUID, list[str]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(RoleAssignment.user_id, RoleAssignment.role)
            .where(and_(RoleAssignment.organization_id == org_id, RoleAssignment.user_id.in_(ids)))
            .order_by(RoleAssignment.role)
        )
        for user_id, name in rows:
            roles[user_id].append(name)
    return result, roles


async def admin_create_user(session: AsyncSession, settings: Settings, *, org_id: uuid.UUID, data: UserCreate) -> User:
    """Create a verified user holding ``data.role``."""
    profile = RegistrationCreate.model_validate(data.model_dump(exclude={"role"}))
    user = await create_user(session, settings, org_id=org_id, data=profile, role=data.role, verified=True)
    await session.commit()
    return user


def _not_self(actor: Principal, user_id: uuid.UUID, action: str) -> None:
    if actor.user_id == user_id:
        raise Conflict(f"You cannot {action} your own account here.", code="self_action")


async def set_blocked(session: AsyncSession, *, actor: Principal, user_id: uuid.UUID, blocked: bool) -> User:
    """Block (ending every session at once) or unblock a user."""
    if blocked:
        _not_self(actor, user_id, "block")
    user = await get_user(session, org_id=actor.org_id, user_id=user_id)
    user.is_blocked = blocked
    if blocked:
        await revoke_user_sessions(session, org_id=actor.org_id, user_id=user_id, reason="blocked")
    await session.commit()
    return user


async def change_role(
    session: AsyncSession, *, actor: Principal, user_id: uuid.UUID, role: str
) -> tuple[User, list[str]]:
    """Make ``role`` the user's only role."""
    _not_self(actor, user_id, "change the role of")
    user = await get_user(session, org_id=actor.org_id, user_id=user_id)
    await assign_role(session, org_id=actor.org_id, user_id=user_id, role=role)
    for held in await roles_of(session, org_id=actor.org_id, user_id=user_id):
        if held != role:
            await revoke_role(session, org_id=actor.org_id, user_id=user_id, role=held)
    await session.commit()
    return user, await roles_of(session, org_id=actor.org_id, user_id=user_id)


async def delete_user(session: AsyncSession, *, actor: Principal, user_id: uuid.UUID) -> None:
    """Soft-delete another user of the workspace."""
    _not_self(actor, user_id, "delete")
    await soft_delete(session, org_id=actor.org_id, user_id=user_id)
