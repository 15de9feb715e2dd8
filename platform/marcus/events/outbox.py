"""Outbox tables: one row per published event, one per (event, subscriber) delivered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, Integer, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marcus.db.base import Base, TenantScoped

PENDING, DONE, FAILED = "pending", "done", "failed"


class OutboxEvent(TenantScoped, Base):
    """A published event waiting for (or past) delivery to its subscribers."""

    __tablename__ = "event_outbox"

    name: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    actor_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(Text, default=PENDING, server_default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventDelivery(TenantScoped, Base):
    """Proof that one subscriber handled one event; written in the handler's own transaction."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("organization_id", "event_id", "handler"),
        ForeignKeyConstraint(
            ["organization_id", "event_id"], ["event_outbox.organization_id", "event_outbox.id"], ondelete="CASCADE"
        ),
    )

    event_id: Mapped[uuid.UUID]
    handler: Mapped[str] = mapped_column(Text)
