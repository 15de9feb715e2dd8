"""Comments: readers comment on public posts; moderators hide, show again or delete any
comment; authors delete their own. Hidden comments exist only for moderators."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from marcus_blog.events import CommentModerated
from marcus_blog.models import BlogComment, BlogPost
from marcus_blog.permissions import Viewer
from marcus_blog.queries import comments, visible_to
from marcus_blog.service import post_is_public
from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus import Conflict, Forbidden, Grant, NotFound, Page, paginate, publish


async def list_comments(
    session: AsyncSession, *, post: BlogPost, viewer: Viewer, page: int, limit: int
) -> Page[BlogComment]:
    """A post's comments, oldest first; hidden ones only for moderators."""
    query = comments().where(BlogComment.organization_id == post.organization_id, BlogComment.post_id == post.id)
    if not viewer.moderator:
        query = query.where(BlogComment.hidden_at.is_(None))
    return await paginate(session, query.order_by(BlogComment.id), page=page, limit=limit)


async def list_for_moderation(
    session: AsyncSession, *, org_id: uuid.UUID, hidden: bool | None, post_id: uuid.UUID | None, page: int, limit: int
) -> Page[BlogComment]:
    """Every comment of the workspace, newest first, for moderators."""
    query = comments().where(BlogComment.organization_id == org_id)
    if hidden is not None:
        query = query.where(BlogComment.hidden_at.is_not(None) if hidden else BlogComment.hidden_at.is_(None))
    if post_id is not None:
        query = query.where(BlogComment.post_id == post_id)
    return await paginate(session, query.order_by(BlogComment.id.desc()), page=page, limit=limit)


async def add_comment(session: AsyncSession, *, post: BlogPost, grant: Grant, content: str) -> BlogComment:
    """Comment on a public post as the caller; 409 while the post is not public."""
    if not await post_is_public(session, post=post):
        raise Conflict("Comments open once the post is published.", code="post_not_published")
    comment = BlogComment(post_id=post.id, user_id=grant.principal.user_id, content=content)
    session.add(comment)
    await session.commit()
    return await load_comment(session, org_id=post.organization_id, comment_id=comment.id)


async def load_comment(session: AsyncSession, *, org_id: uuid.UUID, comment_id: uuid.UUID) -> BlogComment:
    """A comment by id, freshly loaded with its author's name."""
    query = comments().where(BlogComment.organization_id == org_id, BlogComment.id == comment_id)
    comment = (await session.scalars(query.execution_options(populate_existing=True))).first()
    if comment is None:
        raise NotFound("No such comment.", code="comment_not_found")
    return comment


async def find_comment(
    session: AsyncSession, *, org_id: uuid.UUID, viewer: Viewer, comment_id: uuid.UUID
) -> BlogComment:
    """A comment the viewer may see: on a post they see, and not hidden unless they moderate."""
    on_post = and_(BlogPost.organization_id == BlogComment.organization_id, BlogPost.id == BlogComment.post_id)
    query = (
        comments()
        .join(BlogPost, on_post)
        .where(BlogComment.organization_id == org_id, BlogComment.id == comment_id, visible_to(viewer))
    )
    if not viewer.moderator:
        query = query.where(BlogComment.hidden_at.is_(None))
    comment = (await session.scalars(query)).first()
    if comment is None:
        raise NotFound("No such comment.", code="comment_not_found")
    return comment


async def set_hidden(session: AsyncSession, *, comment: BlogComment, grant: Grant, hidden: bool) -> BlogComment:
    """Hide a comment from the public, or show it again."""
    if (comment.hidden_at is not None) != hidden:
        comment.hidden_at = datetime.now(UTC) if hidden else None
        await _moderated(session, comment, grant, "hidden" if hidden else "shown again")
        await session.commit()
    return await load_comment(session, org_id=comment.organization_id, comment_id=comment.id)


async def delete_comment(session: AsyncSession, *, comment: BlogComment, viewer: Viewer) -> None:
    """Delete a comment: moderators any, writers their own; 403 for someone else's."""
    grant = viewer.moderate if viewer.moderator else viewer.comment
    if grant is None or not grant.covers(comment.user_id):
        raise Forbidden("You may delete only your own comments.", code="not_your_comment")
    await session.execute(
        delete(BlogComment).where(BlogComment.organization_id == comment.organization_id, BlogComment.id == comment.id)
    )
    if comment.user_id != grant.principal.user_id:
        await _moderated(session, comment, grant, "deleted")
    await session.commit()


async def _moderated(session: AsyncSession, comment: BlogComment, grant: Grant, action: str) -> None:
    title = await session.scalar(
        select(BlogPost.title).where(
            BlogPost.organization_id == comment.organization_id, BlogPost.id == comment.post_id
        )
    )
    event = CommentModerated(
        entity_id=comment.id, post_id=comment.post_id, comment_id=comment.id, title=title or "", action=action
    )
    await publish(session, event, actor_id=grant.principal.user_id)
