"""Blog tables: posts (slug unique per workspace) and their comments.

Authors and commenters are users of the same workspace (composite foreign keys). The public
author name and the visible comment count are SQL expressions loaded with each post
(``with_expression``), so a reader's query never loads a user row, let alone its secrets.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from marcus import Base, TenantScoped

Status = Literal["draft", "scheduled", "published"]
DRAFT, SCHEDULED, PUBLISHED = "draft", "scheduled", "published"
STATUSES: tuple[str, ...] = (DRAFT, SCHEDULED, PUBLISHED)


class BlogPost(TenantScoped, Base):
    """A post. ``published_at`` is when it went (or goes, when scheduled) public;
    ``announced_at`` records the one ``blog.published`` event of its life."""

    __tablename__ = "blog_posts"
    __table_args__ = (
        UniqueConstraint("organization_id", "slug"),
        ForeignKeyConstraint(["organization_id", "author_id"], ["users.organization_id", "users.id"]),
        CheckConstraint("status IN ('draft', 'scheduled', 'published')", name="status"),
        Index("ix_blog_posts_listing", "organization_id", "status", "published_at"),
        Index("ix_blog_posts_author", "organization_id", "author_id"),
    )

    author_id: Mapped[uuid.UUID]
    slug: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    status: Mapped[str] = mapped_column(Text, default=DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    author_name: Mapped[str] = query_expression()
    comment_count: Mapped[int] = query_expression()


class BlogComment(TenantScoped, Base):
    """A reader's comment on a post; ``hidden_at`` set by a moderator hides it from the public."""

    __tablename__ = "blog_comments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organization_id", "post_id"], ["blog_posts.organization_id", "blog_posts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["organization_id", "user_id"], ["users.organization_id", "users.id"]),
        Index("ix_blog_comments_post", "organization_id", "post_id", "created_at"),
        Index("ix_blog_comments_user", "organization_id", "user_id"),
    )

    post_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    content: Mapped[str] = mapped_column(Text)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author_name: Mapped[str] = query_expression()
