"""Notifications (per recipient, with the seed's two read flags), activities, preferences."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKeyConstraint, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marcus.db.base import Base, TenantScoped


class Notification(TenantScoped, Base):
    """A message to one user. Customers mark their own copy read; staff share one admin flag."""

    __tablename__ = "notifications"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "user_id"], ["users.organization_id", "users.id"], ondelete="CASCADE"),
        UniqueConstraint("organization_id", "event_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID]
    event: Mapped[str] = mapped_column(Text)
    event_id: Mapped[uuid.UUID | None]
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    is_customer_read: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin_read: Mapped[bool] = mapped_column(Boolean, default=False)


class Activity(TenantScoped, Base):
    """Who did what to which entity; ``user_id`` is whose feed it belongs to (None: everyone's)."""

    __tablename__ = "activities"

    event: Mapped[str] = mapped_column(Text)
    event_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[uuid.UUID | None]
    actor_id: Mapped[uuid.UUID | None]
    user_id: Mapped[uuid.UUID | None]
    data: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)


class NotificationPreference(TenantScoped, Base):
    """A workspace's choice of channels for one event (defaults: in-app on, email off)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("organization_id", "event"),)

    event: Mapped[str] = mapped_column(Text)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
