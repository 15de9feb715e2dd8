"""Migration helpers: tenant tables with forced row-level security and composite foreign keys.

Every tenant-owned table is created through ``create_tenant_table`` (or gets
``enable_tenant_rls`` after ``op.create_table``) so that no table can be forgotten: a catalog
test fails for any table with ``organization_id`` lacking ENABLE + FORCE and the policy.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

POLICY = "tenant_isolation"
CURRENT_ORG_FUNCTION = """
CREATE OR REPLACE FUNCTION marcus_current_org() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('marcus.org_id', true), '')::uuid $$
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tenant_rls_sql(table: str, *, column: str = "organization_id") -> list[str]:
    """The statements that put ``table`` under forced, fail-closed row-level security."""
    t, c = _q(table), _q(column)
    condition = f"{c} = (SELECT marcus_current_org())"
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {t}",
        f"CREATE POLICY {POLICY} ON {t} USING ({condition}) WITH CHECK ({condition})",
    ]


def enable_tenant_rls(table: str, *, column: str = "organization_id") -> None:
    """ENABLE + FORCE row-level security on ``table`` with the tenant policy (inside a migration)."""
    for statement in tenant_rls_sql(table, column=column):
        op.execute(statement)


def tenant_fk(column: str, target: str, *, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    """Composite FK ``(organization_id, column) -> target (organization_id, id)``: no cross-tenant links."""
    return sa.ForeignKeyConstraint(
        ["organization_id", column], [f"{target}.organization_id", f"{target}.id"], ondelete=ondelete
    )


def create_tenant_table(name: str, *columns: Any, **kwargs: Any) -> sa.Table:
    """``op.create_table`` with ``organization_id``, ``id``, ``created_at``, the ``(organization_id, id)``
    primary key, the FK to ``organizations`` and forced RLS. Extra indexes must lead with
    ``organization_id``."""
    table = op.create_table(
        name,
        sa.Column(
            "organization_id",
            sa.Uuid(),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("organization_id", "id", name=f"pk_{name}"),
        **kwargs,
    )
    enable_tenant_rls(name)
    return table
