"""Kernel: notifications, activities and notification preferences.

Revision ID: kernel_0006
Revises: kernel_0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus.db.rls import create_tenant_table, tenant_fk

revision: str = "kernel_0006"
down_revision: str | Sequence[str] | None = "kernel_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY = sa.text("'{}'::jsonb")


def upgrade() -> None:
    create_tenant_table(
        "notifications",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=False, server_default=EMPTY),
        sa.Column("is_customer_read", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_admin_read", sa.Boolean(), nullable=False, server_default=sa.false()),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "event_id", "user_id", name="uq_notifications_event_user"),
    )
    op.create_index("ix_notifications_user", "notifications", ["organization_id", "user_id", sa.text("id DESC")])
    op.create_index("ix_notifications_recent", "notifications", ["organization_id", sa.text("id DESC")])
    create_tenant_table(
        "activities",
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=False, server_default=EMPTY),
    )
    op.create_index("ix_activities_recent", "activities", ["organization_id", sa.text("id DESC")])
    op.create_index("ix_activities_user", "activities", ["organization_id", "user_id", sa.text("id DESC")])
    op.create_index("ix_activities_entity", "activities", ["organization_id", "entity_id"])
    create_tenant_table(
        "notification_preferences",
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("email", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("organization_id", "event", name="uq_notification_preferences_event"),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_table("activities")
    op.drop_table("notifications")
