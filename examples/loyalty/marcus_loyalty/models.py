"""Point balances per customer and the ledger that makes earning idempotent."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKeyConstraint, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import marcus


class Account(marcus.TenantScoped, marcus.Base):
    """A customer's balance in one workspace."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (
        UniqueConstraint("organization_id", "customer_id"),
        ForeignKeyConstraint(
            ["organization_id", "customer_id"], ["users.organization_id", "users.id"], ondelete="CASCADE"
        ),
    )

    customer_id: Mapped[uuid.UUID]
    points: Mapped[int] = mapped_column(Integer, default=0)


class Entry(marcus.TenantScoped, marcus.Base):
    """Points earned for one appointment (at most one entry per appointment)."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (UniqueConstraint("organization_id", "appointment_id"),)

    customer_id: Mapped[uuid.UUID]
    appointment_id: Mapped[uuid.UUID]
    points: Mapped[int] = mapped_column(Integer)
