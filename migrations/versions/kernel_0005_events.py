"""Kernel: the event outbox and per-subscriber deliveries.

Revision ID: kernel_0005
Revises: kernel_0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus.db.rls import create_tenant_table, tenant_fk

revision: str = "kernel_0005"
down_revision: str | Sequence[str] | None = "kernel_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_tenant_table(
        "event_outbox",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="ck_event_outbox_status"),
    )
    # Small partial index: only pending events, which the relay claims.
    op.create_index(
        "ix_event_outbox_pending",
        "event_outbox",
        ["organization_id", "next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    create_tenant_table(
        "event_deliveries",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.Text(), nullable=False),
        tenant_fk("event_id", "event_outbox", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "event_id", "handler", name="uq_event_deliveries_event_handler"),
    )


def downgrade() -> None:
    op.drop_table("event_deliveries")
    op.drop_table("event_outbox")
