"""Kernel tables: organizations, their custom domains and the plugins each one enabled."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marcus.db.base import Base, TenantScoped, new_id

ACTIVE, SUSPENDED = "active", "suspended"


class Organization(Base):
    """A workspace. Not tenant-scoped itself: its own ``id`` is the tenant (RLS on ``id``)."""

    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=ACTIVE, server_default=ACTIVE)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    manifest_digest: Mapped[str | None] = mapped_column(Text)
    """SHA-256 of the ``tenants/<slug>.toml`` last applied (None: never managed by a manifest)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class OrganizationDomain(TenantScoped, Base):
    """A custom host name (``book.clinic.example``) that serves one workspace."""

    __tablename__ = "organization_domains"

    domain: Mapped[str] = mapped_column(Text, unique=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class OrganizationPlugin(TenantScoped, Base):
    """A plugin a workspace has enabled (or disabled), with its per-tenant settings."""

    __tablename__ = "organization_plugins"
    __table_args__ = (UniqueConstraint("organization_id", "plugin"),)

    plugin: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
