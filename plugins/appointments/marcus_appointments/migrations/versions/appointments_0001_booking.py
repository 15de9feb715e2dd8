"""Appointments: availability rules and overrides, slots, appointments, numbering, calendar feeds.

Revision ID: appointments_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from marcus import create_tenant_table, tenant_fk

revision: str = "appointments_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("appointments",)
depends_on: str | Sequence[str] | None = ("services_0001", "kernel_0007")

STATUSES = "('Pending', 'Upcoming', 'Completed', 'Cancelled', 'NoShow')"
MEETING_TYPES = "('Virtual', 'InPerson', 'Phone')"


def _rules() -> None:
    create_tenant_table(
        "appointments_rules",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        tenant_fk("service_id", "services", ondelete="CASCADE"),
        tenant_fk("staff_id", "users"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_appointments_rules_weekday"),
        sa.CheckConstraint("end_time > start_time", name="ck_appointments_rules_window"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="ck_appointments_rules_slot_minutes"),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 1440", name="ck_appointments_rules_buffer_minutes"),
        sa.CheckConstraint("capacity BETWEEN 1 AND 1000", name="ck_appointments_rules_capacity"),
    )
    op.create_index(
        "ix_appointments_rules_organization_id_service_id", "appointments_rules", ["organization_id", "service_id"]
    )
    create_tenant_table(
        "appointments_overrides",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("end_time", sa.Time(), nullable=True),
        sa.Column("slot_minutes", sa.Integer(), nullable=True),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        tenant_fk("service_id", "services", ondelete="CASCADE"),
        tenant_fk("staff_id", "users"),
        sa.CheckConstraint("kind IN ('open', 'closed')", name="ck_appointments_overrides_kind"),
        sa.CheckConstraint(
            "end_time IS NULL OR start_time IS NULL OR end_time > start_time", name="ck_appointments_overrides_window"
        ),
        sa.CheckConstraint(
            "kind = 'closed' OR (start_time IS NOT NULL AND end_time IS NOT NULL AND slot_minutes IS NOT NULL)",
            name="ck_appointments_overrides_open_hours",
        ),
    )
    op.create_index(
        "ix_appointments_overrides_organization_id_service_id_day",
        "appointments_overrides",
        ["organization_id", "service_id", "day"],
    )


def _slots() -> None:
    create_tenant_table(
        "appointments_slots",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("booked", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        tenant_fk("service_id", "services"),
        tenant_fk("staff_id", "users"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_appointments_slots_times"),
        sa.CheckConstraint("capacity BETWEEN 1 AND 1000", name="ck_appointments_slots_capacity"),
        # The database refuses overbooking: a booking's conditional increment can never pass it.
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointments_slots_booked"),
    )
    # Generation is idempotent: one slot per (service, staff or none, start), ON CONFLICT DO NOTHING.
    op.execute(
        "ALTER TABLE appointments_slots"
        " ADD CONSTRAINT uq_appointments_slots_organization_id_service_id_staff_id_starts_at"
        " UNIQUE NULLS NOT DISTINCT (organization_id, service_id, staff_id, starts_at)"
    )
    op.create_index(
        "ix_appointments_slots_organization_id_starts_at", "appointments_slots", ["organization_id", "starts_at"]
    )


def _appointments() -> None:
    create_tenant_table(
        "appointments",
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("slot_id", sa.Uuid(), nullable=True),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meeting_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("attachments", JSONB(), nullable=False, server_default="[]"),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id", "number", name="uq_appointments_organization_id_number"),
        tenant_fk("customer_id", "users"),
        tenant_fk("service_id", "services"),
        tenant_fk("staff_id", "users"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_appointments_status"),
        sa.CheckConstraint(f"meeting_type IN {MEETING_TYPES}", name="ck_appointments_meeting_type"),
    )
    # Deleting a slot keeps the (finished or cancelled) appointments that used it: only slot_id
    # becomes NULL, never organization_id (PostgreSQL 15's column list on SET NULL).
    op.execute(
        "ALTER TABLE appointments ADD CONSTRAINT fk_appointments_organization_id_slot_id_appointments_slots"
        " FOREIGN KEY (organization_id, slot_id) REFERENCES appointments_slots (organization_id, id)"
        " ON DELETE SET NULL (slot_id)"
    )
    # One active booking per slot and customer, whatever the slot's capacity.
    op.execute(
        "CREATE UNIQUE INDEX uq_appointments_active_slot_customer ON appointments"
        " (organization_id, slot_id, customer_id) WHERE status IN ('Pending', 'Upcoming')"
    )
    op.create_index(
        "ix_appointments_organization_id_customer_id_starts_at",
        "appointments",
        ["organization_id", "customer_id", "starts_at"],
    )
    op.create_index("ix_appointments_organization_id_starts_at", "appointments", ["organization_id", "starts_at"])
    op.create_index("ix_appointments_organization_id_slot_id", "appointments", ["organization_id", "slot_id"])


def upgrade() -> None:
    _rules()
    _slots()
    _appointments()
    create_tenant_table(
        "appointments_counters",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"),
        sa.UniqueConstraint("organization_id", "name", name="uq_appointments_counters_organization_id_name"),
    )
    create_tenant_table(
        "appointments_calendar_feeds",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.UniqueConstraint(
            "organization_id", "customer_id", name="uq_appointments_calendar_feeds_organization_id_customer_id"
        ),
        sa.UniqueConstraint(
            "organization_id", "token_hash", name="uq_appointments_calendar_feeds_organization_id_token_hash"
        ),
        tenant_fk("customer_id", "users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    for table in (
        "appointments_calendar_feeds",
        "appointments_counters",
        "appointments",
        "appointments_slots",
        "appointments_overrides",
        "appointments_rules",
    ):
        op.drop_table(table)
