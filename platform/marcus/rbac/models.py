"""RBAC tables (migration ``kernel_0003``): who holds which role, the tenant's custom roles,
and the per-tenant policy version every replica compares to know its cache is current."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKeyConstraint, Index, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import marcus.auth.models  # noqa: F401 - the users table must be in the metadata for the composite FK
from marcus.db.base import Base, TenantScoped
from marcus.declarations import Scope


class RoleAssignment(TenantScoped, Base):
    """``user_id`` holds ``role`` (a template name or a custom role's name) in the workspace."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "user_id"], ["users.organization_id", "users.id"], ondelete="CASCADE"),
        UniqueConstraint("organization_id", "user_id", "role"),
        Index("ix_role_assignments_organization_id_role", "organization_id", "role"),
    )

    user_id: Mapped[uuid.UUID]
    role: Mapped[str] = mapped_column(Text)


class CustomRole(TenantScoped, Base):
    """A role a workspace defined from declared permissions: ``{permission: scope}``."""

    __tablename__ = "custom_roles"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    permissions: Mapped[dict[str, Scope]] = mapped_column(JSONB, default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class PolicyVersion(TenantScoped, Base):
    """One row per workspace, bumped in the same transaction as any change to its policy."""

    __tablename__ = "rbac_policy_versions"
    __table_args__ = (UniqueConstraint("organization_id"),)

    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
