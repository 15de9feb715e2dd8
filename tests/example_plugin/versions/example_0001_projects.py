"""Example plugin: projects and tasks.

Revision ID: example_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marcus import create_tenant_table, tenant_fk

revision: str = "example_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("example",)
depends_on: str | Sequence[str] | None = "kernel_0001"


def upgrade() -> None:
    create_tenant_table("example_projects", sa.Column("name", sa.Text(), nullable=False))
    create_tenant_table(
        "example_tasks",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        tenant_fk("project_id", "example_projects"),
    )
    op.create_index("ix_example_tasks_organization_id_project_id", "example_tasks", ["organization_id", "project_id"])


def downgrade() -> None:
    op.drop_table("example_tasks")
    op.drop_table("example_projects")
