"""Kernel: bind the tenant and check the caller's session in one statement.

``marcus_session_email(org, user, session)`` binds the transaction to ``org`` (the same
``set_config('marcus.org_id', ..., true)`` as the ``after_begin`` hook) and only then, as the
next plpgsql statement, reads the user's email if the user is verified, not blocked, not
deleted and the session is neither revoked nor expired, under forced row-level security
(SECURITY INVOKER). An authenticated request's first statement thereby binds its tenant: one
round trip less per request (docs/decisions.md §23).

Revision ID: kernel_0009
Revises: kernel_0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "kernel_0009"
down_revision: str | Sequence[str] | None = "kernel_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE OR REPLACE FUNCTION marcus_session_email(p_org uuid, p_user uuid, p_session uuid) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
BEGIN
    PERFORM set_config('marcus.org_id', p_org::text, true);
    RETURN (
        SELECT u.email FROM users AS u
        JOIN auth_sessions AS a ON a.organization_id = u.organization_id AND a.user_id = u.id
        WHERE u.organization_id = p_org AND u.id = p_user AND a.id = p_session
          AND a.revoked_at IS NULL AND a.expires_at > now()
          AND u.is_verified AND u.is_blocked IS false AND u.deleted_at IS NULL
    );
END
$$
"""


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS marcus_session_email(uuid, uuid, uuid)")
