"""The plugin's tenant tables. The database, not the application, keeps bookings right:

* ``appointments_slots.booked`` counts the appointments holding a seat (every status but
  Cancelled) and ``CHECK (booked BETWEEN 0 AND capacity)`` refuses overbooking; bookings,
  cancellations and reschedules change the count in the same statement as the appointment;
* a partial unique index allows one active (Pending / Upcoming) appointment per slot and customer;
* ``UNIQUE NULLS NOT DISTINCT (organization_id, service_id, staff_id, starts_at)`` makes slot
  generation idempotent (``ON CONFLICT DO NOTHING``);
* ``appointments_counters`` holds one row per workspace and sequence: numbers are taken by an
  upsert in the booking statement, so they are gap-free per workspace and never collide.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import marcus

PENDING, UPCOMING, COMPLETED, CANCELLED, NO_SHOW = "Pending", "Upcoming", "Completed", "Cancelled", "NoShow"
STATUSES = (PENDING, UPCOMING, COMPLETED, CANCELLED, NO_SHOW)
ACTIVE = (PENDING, UPCOMING)
VIRTUAL, IN_PERSON, PHONE = "Virtual", "InPerson", "Phone"
MEETING_TYPES = (VIRTUAL, IN_PERSON, PHONE)
AVAILABLE, BOOKED, DISABLED = "Available", "Booked", "Disabled"
OPEN, CLOSED = "open", "closed"


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["organization_id", column], [f"{table}.organization_id", f"{table}.id"])


class Rule(marcus.TenantScoped, marcus.Base):
    """A weekly availability rule of a service (optionally of one staff member), in local time.

    Slots of ``slot_minutes`` start at ``start_time`` and every ``slot_minutes + buffer_minutes``
    after, as long as they end by ``end_time``, on ``weekday`` (0 = Monday) between
    ``valid_from`` and ``valid_until``.
    """

    __tablename__ = "appointments_rules"
    __table_args__ = (
        _fk("service_id", "services"),
        _fk("staff_id", "users"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("end_time > start_time", name="window"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="slot_minutes"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 1440", name="buffer_minutes"),
        CheckConstraint("capacity BETWEEN 1 AND 1000", name="capacity"),
        Index("ix_appointments_rules_organization_id_service_id", "organization_id", "service_id"),
    )

    service_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID | None]
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)


class Override(marcus.TenantScoped, marcus.Base):
    """A date that differs from the weekly rules: ``closed`` (all day, or ``start_time`` to
    ``end_time``) or ``open`` with its own hours, replacing that date's rules."""

    __tablename__ = "appointments_overrides"
    __table_args__ = (
        _fk("service_id", "services"),
        _fk("staff_id", "users"),
        CheckConstraint("kind IN ('open', 'closed')", name="kind"),
        CheckConstraint("end_time IS NULL OR start_time IS NULL OR end_time > start_time", name="window"),
        CheckConstraint(
            "kind = 'closed' OR (start_time IS NOT NULL AND end_time IS NOT NULL AND slot_minutes IS NOT NULL)",
            name="open_hours",
        ),
        Index("ix_appointments_overrides_organization_id_service_id_day", "organization_id", "service_id", "day"),
    )

    service_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID | None]
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(Text)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class Slot(marcus.TenantScoped, marcus.Base):
    """A bookable time of a service: ``capacity`` seats, ``booked`` of them taken."""

    __tablename__ = "appointments_slots"
    __table_args__ = (
        _fk("service_id", "services"),
        _fk("staff_id", "users"),
        UniqueConstraint("organization_id", "service_id", "staff_id", "starts_at", postgresql_nulls_not_distinct=True),
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint("capacity BETWEEN 1 AND 1000", name="capacity"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked"),
        Index("ix_appointments_slots_organization_id_starts_at", "organization_id", "starts_at"),
    )

    service_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID | None]
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by: Mapped[uuid.UUID | None]

    @property
    def status(self) -> str:
        """The seed's slot status: Disabled, Booked (no seat left) or Available."""
        return slot_status(enabled=self.enabled, booked=self.booked, capacity=self.capacity)


def slot_status(*, enabled: bool, booked: int, capacity: int) -> str:
    if not enabled:
        return DISABLED
    return BOOKED if booked >= capacity else AVAILABLE


class Appointment(marcus.TenantScoped, marcus.Base):
    """A customer's booking of a slot. ``starts_at`` / ``ends_at`` / ``service_id`` are copied
    from the slot (they stay when a slot is deleted); ``price`` is the service's at booking."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        _fk("customer_id", "users"),
        _fk("service_id", "services"),
        _fk("slot_id", "appointments_slots"),
        _fk("staff_id", "users"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"meeting_type IN {MEETING_TYPES!r}", name="meeting_type"),
        Index(
            "uq_appointments_active_slot_customer",
            "organization_id",
            "slot_id",
            "customer_id",
            unique=True,
            postgresql_where=text("status IN ('Pending', 'Upcoming')"),
        ),
        Index("ix_appointments_organization_id_customer_id_starts_at", "organization_id", "customer_id", "starts_at"),
        Index("ix_appointments_organization_id_starts_at", "organization_id", "starts_at"),
    )

    number: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[uuid.UUID]
    service_id: Mapped[uuid.UUID]
    slot_id: Mapped[uuid.UUID | None]
    staff_id: Mapped[uuid.UUID | None]
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    meeting_type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[uuid.UUID | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    invoice_id: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Counter(marcus.TenantScoped, marcus.Base):
    """The last number taken of one per-workspace sequence (``appointment``)."""

    __tablename__ = "appointments_counters"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(Text)
    value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CalendarFeed(marcus.TenantScoped, marcus.Base):
    """A customer's private calendar feed: the SHA-256 of its secret token (the URL holds the token)."""

    __tablename__ = "appointments_calendar_feeds"
    __table_args__ = (
        UniqueConstraint("organization_id", "customer_id"),
        UniqueConstraint("organization_id", "token_hash"),
        _fk("customer_id", "users"),
    )

    customer_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(Text)


MODELS: list[type[marcus.Base]] = [Rule, Override, Slot, Appointment, Counter, CalendarFeed]
