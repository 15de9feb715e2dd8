"""Documents: the composite foreign key from a document to the appointment it belongs to.

A deleted appointment leaves its documents in place with the link cleared (PostgreSQL 15's
column list keeps the key's NOT NULL ``organization_id``).

Revision ID: documents_0002
Revises: documents_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "documents_0002"
down_revision: str | Sequence[str] | None = "documents_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "appointments_0001"

NAME = "fk_documents_organization_id_appointment_id_appointments"


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE documents ADD CONSTRAINT {NAME} FOREIGN KEY (organization_id, appointment_id) "
        "REFERENCES appointments (organization_id, id) ON DELETE SET NULL (appointment_id)"
    )


def downgrade() -> None:
    op.drop_constraint(NAME, "documents", type_="foreignkey")
