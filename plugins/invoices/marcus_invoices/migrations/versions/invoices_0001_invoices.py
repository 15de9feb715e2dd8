"""Invoices: invoices, their lines and payments, and the per-workspace number counters; the
composite foreign keys that link invoices and appointments both ways, and documents to
invoices (the documents and appointments migrations left those columns plain for us).

Revision ID: invoices_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus import create_tenant_table, tenant_fk

revision: str = "invoices_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("invoices",)
depends_on: str | Sequence[str] | None = ("kernel_0008", "appointments_0001", "documents_0001")

STATUSES = "('Draft', 'Pending', 'PartiallyPaid', 'Paid', 'Overdue', 'Void')"
PAYMENT_TYPES = "('Cash', 'BankTransfer')"
METHODS = "('Cash', 'BankTransfer', 'Card', 'Other')"
MONEY = sa.Numeric(18, 3)


def _money(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, MONEY, nullable=False, server_default="0")


# Check constraints are named like the models' (``status`` becomes ``ck_invoices_status``
# through the metadata's naming convention).


def _invoices() -> None:
    create_tenant_table(
        "invoices",
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False, server_default="Draft"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("payment_type", sa.Text(), nullable=False, server_default="BankTransfer"),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        _money("subtotal"),
        _money("tax_total"),
        _money("total"),
        _money("amount_paid"),
        sa.Column("seller", postgresql.JSONB(), nullable=True),
        sa.Column("bill_to", postgresql.JSONB(), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("organization_id", "number", name="uq_invoices_organization_id_number"),
        tenant_fk("customer_id", "users"),
        tenant_fk("issued_by", "users"),
        tenant_fk("appointment_id", "appointments"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint(f"payment_type IN {PAYMENT_TYPES}", name="payment_type"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        sa.CheckConstraint("status = 'Draft' OR (number IS NOT NULL AND issue_date IS NOT NULL)", name="issued"),
        sa.CheckConstraint("due_date IS NULL OR issue_date IS NULL OR due_date >= issue_date", name="due_date"),
        sa.CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="amount_paid"),
    )
    op.create_index(
        "uq_invoices_organization_id_appointment_id",
        "invoices",
        ["organization_id", "appointment_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'Void'"),
    )
    op.create_index("ix_invoices_organization_id_created_at", "invoices", ["organization_id", "created_at"])
    op.create_index(
        "ix_invoices_organization_id_customer_id_created_at",
        "invoices",
        ["organization_id", "customer_id", "created_at"],
    )
    op.create_index(
        "ix_invoices_organization_id_status_due_date", "invoices", ["organization_id", "status", "due_date"]
    )


def _lines_payments_counters() -> None:
    create_tenant_table(
        "invoices_lines",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(14, 4), nullable=False),
        sa.Column("unit_price", sa.Numeric(18, 4), nullable=False),
        sa.Column("tax_rate", sa.Numeric(7, 4), nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        tenant_fk("invoice_id", "invoices", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "organization_id", "invoice_id", "position", name="uq_invoices_lines_organization_id_invoice_id_position"
        ),
        sa.CheckConstraint("quantity > 0", name="quantity"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price"),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate"),
        sa.CheckConstraint("total = net + tax", name="total"),
    )
    create_tenant_table(
        "invoices_payments",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False, server_default=""),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        tenant_fk("invoice_id", "invoices"),
        tenant_fk("recorded_by", "users"),
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint(f"method IN {METHODS}", name="method"),
    )
    op.create_index(
        "ix_invoices_payments_organization_id_invoice_id", "invoices_payments", ["organization_id", "invoice_id"]
    )
    create_tenant_table(
        "invoices_counters",
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"),
        sa.UniqueConstraint("organization_id", "period", name="uq_invoices_counters_organization_id_period"),
    )


# Documents and appointments point at invoices; deleting a draft clears only that column
# (PostgreSQL 15's column list: the composite key's organization_id is NOT NULL).
LINKS = (
    ("documents", "fk_documents_organization_id_invoice_id_invoices"),
    ("appointments", "fk_appointments_organization_id_invoice_id_invoices"),
)


def _links() -> None:
    for table, name in LINKS:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (organization_id, invoice_id) "
            "REFERENCES invoices (organization_id, id) ON DELETE SET NULL (invoice_id)"
        )


def upgrade() -> None:
    _invoices()
    _lines_payments_counters()
    _links()


def downgrade() -> None:
    for table, name in LINKS:
        op.drop_constraint(name, table, type_="foreignkey")
    op.drop_table("invoices_counters")
    op.drop_table("invoices_payments")
    op.drop_table("invoices_lines")
    op.drop_table("invoices")
