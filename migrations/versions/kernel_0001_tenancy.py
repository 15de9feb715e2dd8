"""Kernel: organizations, their domains and enabled plugins, the tenant function and RLS.

Revision ID: kernel_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus.db.rls import CURRENT_ORG_FUNCTION, create_tenant_table, enable_tenant_rls

revision: str = "kernel_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("kernel",)
depends_on: str | Sequence[str] | None = None

JSONB_EMPTY = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.execute(CURRENT_ORG_FUNCTION)
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="active"),
        sa.Column("settings", postgresql.JSONB(), nullable=False, server_default=JSONB_EMPTY),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("slug", name="uq_organizations_slug"),
        sa.CheckConstraint("status IN ('active', 'suspended')", name="ck_organizations_status"),
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'", name="ck_organizations_slug"),
    )
    # A tenant session sees its own organization row only; the platform role sees all.
    enable_tenant_rls("organizations", column="id")
    create_tenant_table(
        "organization_domains",
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False, server_default=sa.false()),
        # Global: a host names one workspace (see docs/decisions.md on sharding).
        sa.UniqueConstraint("domain", name="uq_organization_domains_domain"),
        sa.CheckConstraint("domain = lower(domain)", name="ck_organization_domains_lowercase"),
    )
    create_tenant_table(
        "organization_plugins",
        sa.Column("plugin", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("settings", postgresql.JSONB(), nullable=False, server_default=JSONB_EMPTY),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id", "plugin", name="uq_organization_plugins_organization_id_plugin"),
    )


def downgrade() -> None:
    op.drop_table("organization_plugins")
    op.drop_table("organization_domains")
    op.drop_table("organizations")
    op.execute("DROP FUNCTION IF EXISTS marcus_current_org()")
