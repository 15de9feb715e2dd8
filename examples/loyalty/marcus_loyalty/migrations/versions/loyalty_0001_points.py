"""loyalty: accounts and ledger.

Revision ID: loyalty_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marcus import create_tenant_table, tenant_fk

revision: str = "loyalty_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("loyalty",)
depends_on: str | Sequence[str] | None = "kernel_0007"


def upgrade() -> None:
    create_tenant_table(
        "loyalty_accounts",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False, server_default="0"),
        tenant_fk("customer_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "customer_id", name="uq_loyalty_accounts_customer"),
    )
    create_tenant_table(
        "loyalty_entries",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        tenant_fk("customer_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "appointment_id", name="uq_loyalty_entries_appointment"),
    )


def downgrade() -> None:
    op.drop_table("loyalty_entries")
    op.drop_table("loyalty_accounts")
