"""Kernel: schedules of plugin jobs per workspace.

Revision ID: kernel_0007
Revises: kernel_0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marcus.db.rls import create_tenant_table

revision: str = "kernel_0007"
down_revision: str | Sequence[str] | None = "kernel_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_tenant_table(
        "job_schedules",
        sa.Column("job", sa.Text(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("organization_id", "job", name="uq_job_schedules_organization_id_job"),
    )
    op.create_index("ix_job_schedules_due", "job_schedules", ["organization_id", "next_run_at"])


def downgrade() -> None:
    op.drop_table("job_schedules")
