"""The statements every blog read shares: who may see which post, and posts / comments loaded
with their public author name (and a post's visible comment count) in one statement."""

from __future__ import annotations

import uuid

from marcus_blog.models import PUBLISHED, BlogComment, BlogPost
from marcus_blog.permissions import Viewer
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, case, exists, func, literal, or_, select, true
from sqlalchemy.orm import with_expression

from marcus import User

FORMER_MEMBER = "Former member"
NAMELESS = "Member"


def author_name(org_id: SQLColumnExpression[uuid.UUID], user_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[str]:
    """A user's public display name (never the email): first and last name, or a placeholder."""
    name = func.nullif(func.trim(func.concat(User.first_name, " ", User.last_name)), "")
    shown = case((User.deleted_at.is_not(None), literal(FORMER_MEMBER)), else_=func.coalesce(name, NAMELESS))
    return select(shown).where(User.organization_id == org_id, User.id == user_id).scalar_subquery()


def is_public() -> ColumnElement[bool]:
    """Published and its publication time reached: what anonymous readers see."""
    return and_(BlogPost.status == PUBLISHED, BlogPost.published_at <= func.now())


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """Staff see every post, writers also their own, everyone else the public ones."""
    if viewer.sees_all_posts:
        return true()
    if viewer.writes_own_posts and viewer.user_id is not None:
        return or_(is_public(), BlogPost.author_id == viewer.user_id)
    return is_public()


def posts() -> Select[BlogPost]:
    """Posts with ``author_name`` and ``comment_count`` (visible comments) filled in."""
    comments = (
        select(func.count())
        .where(
            BlogComment.organization_id == BlogPost.organization_id,
            BlogComment.post_id == BlogPost.id,
            BlogComment.hidden_at.is_(None),
        )
        .scalar_subquery()
    )
    return select(BlogPost).options(
        with_expression(BlogPost.author_name, author_name(BlogPost.organization_id, BlogPost.author_id)),
        with_expression(BlogPost.comment_count, comments),
    )


def comments() -> Select[BlogComment]:
    """Comments with ``author_name`` filled in."""
    return select(BlogComment).options(
        with_expression(BlogComment.author_name, author_name(BlogComment.organization_id, BlogComment.user_id))
    )


def has_label(column: SQLColumnExpression[list[str]], value: str) -> ColumnElement[bool]:
    """``column`` (a text array) holds ``value``, compared case-insensitively."""
    label = func.unnest(column).table_valued("label").render_derived()
    return exists(select(literal(1)).select_from(label).where(func.lower(label.c.label) == func.lower(value)))
