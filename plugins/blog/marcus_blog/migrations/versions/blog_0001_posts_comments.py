"""Blog: posts and comments.

Revision ID: blog_0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from marcus import create_tenant_table, tenant_fk

revision: str = "blog_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("blog",)
depends_on: str | Sequence[str] | None = "kernel_0007"

EMPTY_LIST = sa.text("'{}'::text[]")


def upgrade() -> None:
    create_tenant_table(
        "blog_posts",
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False, server_default=""),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False, server_default=EMPTY_LIST),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=False, server_default=EMPTY_LIST),
        sa.Column("status", sa.Text(), nullable=False, server_default="draft"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        tenant_fk("author_id", "users"),
        sa.UniqueConstraint("organization_id", "slug", name=op.f("uq_blog_posts_organization_id_slug")),
        sa.CheckConstraint("status IN ('draft', 'scheduled', 'published')", name=op.f("ck_blog_posts_status")),
    )
    op.create_index("ix_blog_posts_listing", "blog_posts", ["organization_id", "status", "published_at"])
    op.create_index("ix_blog_posts_author", "blog_posts", ["organization_id", "author_id"])
    create_tenant_table(
        "blog_comments",
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        tenant_fk("post_id", "blog_posts", ondelete="CASCADE"),
        tenant_fk("user_id", "users"),
    )
    op.create_index("ix_blog_comments_post", "blog_comments", ["organization_id", "post_id", "created_at"])
    op.create_index("ix_blog_comments_user", "blog_comments", ["organization_id", "user_id"])


def downgrade() -> None:
    op.drop_table("blog_comments")
    op.drop_table("blog_posts")
