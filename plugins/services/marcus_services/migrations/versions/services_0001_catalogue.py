"""Services: the catalogue and its per-workspace categories.

Revision ID: services_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marcus import create_tenant_table, tenant_fk

revision: str = "services_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("services",)
depends_on: str | Sequence[str] | None = "kernel_0007"


def upgrade() -> None:
    create_tenant_table(
        "services_categories",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id", "slug", name="uq_services_categories_organization_id_slug"),
    )
    create_tenant_table(
        "services",
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.Text(), nullable=False, server_default="active"),
        sa.Column("category_id", sa.Uuid(), nullable=True),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("image_key", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id", "slug", name="uq_services_organization_id_slug"),
        # A category in use cannot be deleted (RESTRICT by default): the API answers 409 first.
        tenant_fk("category_id", "services_categories"),
        sa.CheckConstraint("status IN ('active', 'inactive', 'archived')", name="ck_services_status"),
        sa.CheckConstraint("price >= 0", name="ck_services_price"),
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="ck_services_duration"),
    )
    op.create_index("ix_services_organization_id_category_id", "services", ["organization_id", "category_id"])
    op.create_index("ix_services_organization_id_status_name", "services", ["organization_id", "status", "name"])


def downgrade() -> None:
    op.drop_table("services")
    op.drop_table("services_categories")
