"""Documents: one row per upload request, one row per stored file.

``appointment_id`` and ``invoice_id`` are plain columns for now: the appointments and
invoices plugins add their composite foreign keys (and the ownership checks) in their own
migrations.

Revision ID: documents_0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus import create_tenant_table, tenant_fk

revision: str = "documents_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("documents",)
depends_on: str | Sequence[str] | None = "kernel_0007"

TYPES = "('Invoice', 'Appointment', 'Profile', 'Security', 'Compliance')"
STATUSES = "('Open', 'InReview', 'Approved')"


def upgrade() -> None:
    create_tenant_table(
        "documents",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="Open"),
        sa.Column("format", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("appointment_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        tenant_fk("owner_id", "users"),
        sa.CheckConstraint(f"type IN {TYPES}", name="ck_documents_type"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_documents_status"),
    )
    op.create_index("ix_documents_organization_id_created_at", "documents", ["organization_id", "created_at"])
    op.create_index(
        "ix_documents_organization_id_owner_id_created_at", "documents", ["organization_id", "owner_id", "created_at"]
    )
    op.create_index("ix_documents_organization_id_appointment_id", "documents", ["organization_id", "appointment_id"])
    op.create_index("ix_documents_organization_id_invoice_id", "documents", ["organization_id", "invoice_id"])
    create_tenant_table(
        "document_files",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        tenant_fk("document_id", "documents", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "key", name="uq_document_files_organization_id_key"),
        sa.UniqueConstraint(
            "organization_id", "document_id", "position", name="uq_document_files_organization_id_document_id_position"
        ),
    )


def downgrade() -> None:
    op.drop_table("document_files")
    op.drop_table("documents")
