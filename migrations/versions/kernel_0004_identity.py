"""Kernel: identity (sign-in sessions, refresh tokens, one-time codes), the mail outbox and
platform operators.

Revision ID: kernel_0004
Revises: kernel_0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marcus.db.rls import create_tenant_table, tenant_fk

revision: str = "kernel_0004"
down_revision: str | Sequence[str] | None = "kernel_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_users_organization_id_created_at", "users", ["organization_id", "created_at"])
    create_tenant_table(
        "auth_sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("last_used_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("ip", sa.Text(), nullable=True),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
    )
    op.create_index("ix_auth_sessions_organization_id_user_id", "auth_sessions", ["organization_id", "user_id"])
    create_tenant_table(
        "auth_refresh_tokens",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        tenant_fk("session_id", "auth_sessions", ondelete="CASCADE"),
        sa.UniqueConstraint("organization_id", "token_hash", name="uq_auth_refresh_tokens_organization_id_token_hash"),
    )
    op.create_index(
        "ix_auth_refresh_tokens_organization_id_session_id", "auth_refresh_tokens", ["organization_id", "session_id"]
    )
    create_tenant_table(
        "auth_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("consumed_at", TS, nullable=True),
        sa.Column("new_email", sa.Text(), nullable=True),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "organization_id", "user_id", "purpose", name="uq_auth_codes_organization_id_user_id_purpose"
        ),
        sa.CheckConstraint("purpose IN ('register', 'login', 'reset', 'email_change')", name="ck_auth_codes_purpose"),
    )
    create_tenant_table(
        "mail_messages",
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_mail_messages_status"),
    )
    op.create_index(
        "ix_mail_messages_organization_id_status_created_at",
        "mail_messages",
        ["organization_id", "status", "created_at"],
    )
    # Partial: only pending rows, so the sender's cross-tenant scan reads a small index.
    op.create_index(
        "ix_mail_messages_organization_id_next_attempt_at_pending",
        "mail_messages",
        ["organization_id", "next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "platform_operators",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_login_at", TS, nullable=True),
    )
    op.execute("CREATE UNIQUE INDEX uq_platform_operators_email ON platform_operators (lower(email))")
    # Global table, not tenant data: the app role (which gets table grants) sees no row of it;
    # only the platform role (BYPASSRLS) reads operators.
    op.execute("ALTER TABLE platform_operators ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE platform_operators FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY platform_only ON platform_operators USING (false) WITH CHECK (false)")


def downgrade() -> None:
    op.drop_table("platform_operators")
    op.drop_table("mail_messages")
    op.drop_table("auth_codes")
    op.drop_table("auth_refresh_tokens")
    op.drop_table("auth_sessions")
    op.drop_index("ix_users_organization_id_created_at", table_name="users")
