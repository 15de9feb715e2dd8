"""Kernel: RBAC - role assignments, custom roles and the per-tenant policy version.

Revision ID: kernel_0003
Revises: kernel_0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus.db.rls import create_tenant_table, tenant_fk

revision: str = "kernel_0003"
down_revision: str | Sequence[str] | None = "kernel_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_NAME = "^[a-z][a-z0-9_-]{1,39}$"

# Any write to a tenant's assignments or custom roles bumps its policy version, whatever the
# path (the rbac service, raw SQL, a cascade from a purged user), so replicas comparing
# versions never miss a change. The service also bumps first, to lock before its checks.
POLICY_CHANGED_FUNCTION = """
CREATE OR REPLACE FUNCTION marcus_rbac_policy_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;
BEGIN
  UPDATE rbac_policy_versions SET version = version + 1, updated_at = now() WHERE organization_id = org;
  IF NOT FOUND AND TG_OP <> 'DELETE' THEN
    INSERT INTO rbac_policy_versions (organization_id, id, version) VALUES (org, gen_random_uuid(), 1)
    ON CONFLICT (organization_id) DO UPDATE SET version = rbac_policy_versions.version + 1, updated_at = now();
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    create_tenant_table(
        "role_assignments",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "user_id", "role"),
        sa.CheckConstraint(f"role ~ '{ROLE_NAME}'", name="role_name"),
    )
    # Counting a role's holders (the last-owner rule) and removing a deleted custom role's grants.
    op.create_index("ix_role_assignments_organization_id_role", "role_assignments", ["organization_id", "role"])
    create_tenant_table(
        "custom_roles",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("permissions", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id", "name"),
        sa.CheckConstraint(f"name ~ '{ROLE_NAME}'", name="name"),
        sa.CheckConstraint("name NOT IN ('owner', 'admin', 'staff', 'customer')", name="not_a_template"),
        sa.CheckConstraint("jsonb_typeof(permissions) = 'object'", name="permissions_object"),
    )
    create_tenant_table(
        "rbac_policy_versions",
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id"),
    )
    op.execute(POLICY_CHANGED_FUNCTION)
    for table in ("role_assignments", "custom_roles"):
        op.execute(
            f"CREATE TRIGGER {table}_policy_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION marcus_rbac_policy_changed()"
        )


def downgrade() -> None:
    op.drop_table("custom_roles")
    op.drop_table("role_assignments")
    op.drop_table("rbac_policy_versions")
    op.execute("DROP FUNCTION IF EXISTS marcus_rbac_policy_changed()")
