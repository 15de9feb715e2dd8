"""The catalogue's tenant tables: services and the workspace's own categories.

Appointments reference a service with the composite key ``(organization_id, service_id)``;
the columns ``organization_id, id, slug, name, status, price, duration_minutes`` are the
interface other plugins rely on.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKeyConstraint, Index, Integer, Numeric, Text, func
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, mapped_column, relationship

import marcus

ACTIVE, INACTIVE, ARCHIVED = "active", "inactive", "archived"
STATUSES = (ACTIVE, INACTIVE, ARCHIVED)
MAX_DURATION_MINUTES = 24 * 60


class Category(marcus.TenantScoped, marcus.Base):
    """A group of services chosen by the workspace (the seed's fixed Consulting / Training)."""

    __tablename__ = "services_categories"
    __table_args__ = (Unique("organization_id", "slug"),)

    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Service(marcus.TenantScoped, marcus.Base):
    """A bookable item of the catalogue; ``price`` is in the workspace currency."""

    __tablename__ = "services"
    __table_args__ = (
        Unique("organization_id", "slug"),
        ForeignKeyConstraint(
            ["organization_id", "category_id"], ["services_categories.organization_id", "services_categories.id"]
        ),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint("price >= 0", name="price"),
        CheckConstraint(f"duration_minutes BETWEEN 1 AND {MAX_DURATION_MINUTES}", name="duration"),
        Index("ix_services_organization_id_category_id", "organization_id", "category_id"),
        Index("ix_services_organization_id_status_name", "organization_id", "status", "name"),
    )

    slug: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(Text, default=ACTIVE, server_default=ACTIVE)
    category_id: Mapped[uuid.UUID | None]
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    image_key: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # Read-only and never lazy: queries that show the category load it with ``joinedload``.
    category: Mapped[Category | None] = relationship(lazy="raise", viewonly=True)
