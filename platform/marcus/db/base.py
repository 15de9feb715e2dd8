"""Declarative base and the ``TenantScoped`` mixin every tenant-owned model uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import uuid_utils.compat as uuid_compat
from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """A time-ordered UUIDv7: unique on its own, index-friendly."""
    return uuid_compat.uuid7()


class Base(DeclarativeBase):
    """Base of every Marcus model (kernel and plugins share one metadata)."""

    metadata = MetaData(naming_convention=NAMING)


class TenantScoped:
    """Mixin for tenant-owned rows: primary key ``(organization_id, id)``.

    ``organization_id`` references ``organizations`` and is filled from the session's bound
    tenant on flush; a row for another tenant is refused before it reaches the database
    (where row-level security would refuse it anyway).
    """

    __tenant_scoped__: ClassVar[bool] = True

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
