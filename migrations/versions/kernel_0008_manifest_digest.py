"""Kernel: remember which tenant manifest was last applied to each workspace.

Revision ID: kernel_0008
Revises: kernel_0007
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kernel_0008"
down_revision: str | Sequence[str] | None = "kernel_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organizations", sa.Column("manifest_digest", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("organizations", "manifest_digest")
