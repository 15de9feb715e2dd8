"""Operator accounts and the workspace operations they may run. Platform-role sessions only."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.passwords import hash_password, verify_password
from marcus.auth.tokens import now
from marcus.config import Settings
from marcus.errors import Conflict, NotFound, Unauthorized
from marcus.operators.models import Operator
from marcus.pagination import Page, paginate
from marcus.tenancy.models import Organization
from marcus.tenancy.service import set_status


async def create_operator(session: AsyncSession, settings: Settings, *, email: str, password: str) -> Operator:
    """Add an operator (the caller commits); 409 when the email exists."""
    email = email.strip().lower()
    if await session.scalar(select(Operator.id).where(func.lower(Operator.email) == email)):
        raise Conflict(f"An operator with email {email} exists.", code="operator_exists")
    operator = Operator(email=email, password_hash=await hash_password(settings, password))
    session.add(operator)
    await session.flush()
    return operator


async def authenticate(session: AsyncSession, settings: Settings, *, email: str, password: str) -> Operator:
    """The active operator with these credentials; 401 otherwise. Commits the login time."""
    operator = await session.scalar(select(Operator).where(func.lower(Operator.email) == email.lower()))
    valid = await verify_password(settings, password, operator.password_hash if operator else None)
    if operator is None or not valid or not operator.is_active:
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    operator.last_login_at = now()
    await session.commit()
    return operator


async def active_operator(session: AsyncSession, *, operator_id: uuid.UUID) -> Operator:
    operator = await session.scalar(select(Operator).where(Operator.id == operator_id, Operator.is_active))
    if operator is None:
        raise Unauthorized("This operator account is disabled.", code="operator_disabled")
    return operator


def _organizations(status: str | None, q: str | None) -> Select[Organization]:
    statement = select(Organization)
    if status:
        statement = statement.where(Organization.status == status)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(Organization.slug.ilike(pattern, escape="\\"), Organization.name.ilike(pattern, escape="\\"))
        )
    return statement.order_by(Organization.created_at.desc(), Organization.id)


async def list_organizations(
    session: AsyncSession, *, status: str | None, q: str | None, page: int, limit: int
) -> Page[Organization]:
    """Every workspace of the platform, newest first."""
    return await paginate(session, _organizations(status, q), page=page, limit=limit)


async def change_status(session: AsyncSession, *, org_id: uuid.UUID, status: str) -> Organization:
    """Suspend or resume a workspace (the caller invalidates tenant caches)."""
    org = await session.scalar(select(Organization).where(Organization.id == org_id))
    if org is None:
        raise NotFound("No such workspace.", code="tenant_not_found")
    await set_status(session, org, status)
    await session.commit()
    await session.refresh(org)
    return org
