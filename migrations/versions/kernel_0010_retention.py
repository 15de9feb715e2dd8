"""Kernel: partial indexes that let housekeeping find a workspace's delivered events and sent mail by age.

Revision ID: kernel_0010
Revises: kernel_0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kernel_0010"
down_revision: str | Sequence[str] | None = "kernel_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column, status): each covers only the rows of one finished status.
INDEXES = (
    ("ix_event_outbox_done_delivered_at", "event_outbox", "delivered_at", "done"),
    ("ix_event_outbox_failed_next_attempt_at", "event_outbox", "next_attempt_at", "failed"),
    ("ix_mail_messages_sent_sent_at", "mail_messages", "sent_at", "sent"),
    ("ix_mail_messages_failed_next_attempt_at", "mail_messages", "next_attempt_at", "failed"),
)


def upgrade() -> None:
    for name, table, column, status in INDEXES:
        op.create_index(name, table, ["organization_id", column], postgresql_where=sa.text(f"status = '{status}'"))


def downgrade() -> None:
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
