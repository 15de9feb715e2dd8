"""Posts: reading what the caller may see, writing, publishing (now or on schedule), images.

Every function takes the session explicitly and raises domain errors. Writers commit; the
``blog.published`` event is published in the same transaction that first makes a post public
(``announced_at`` records it), so each post notifies the workspace exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import UploadFile
from marcus_blog.events import PostCreated, PostDeleted, PostPublished, PostUpdated
from marcus_blog.models import PUBLISHED, SCHEDULED, BlogPost
from marcus_blog.permissions import Viewer
from marcus_blog.queries import has_label, is_public, posts, visible_to
from marcus_blog.schemas import PostCreate, PostUpdate
from marcus_blog.slugs import free_slug, slug_taken, slugify
from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marcus import (
    Conflict,
    Download,
    Invalid,
    NotFound,
    Page,
    Principal,
    TenantFiles,
    Unauthorized,
    new_id,
    open_image,
    paginate,
    publish,
    save_image,
)

SLUG_ATTEMPTS = 5
SLUG_CONSTRAINT = "uq_blog_posts_organization_id_slug"
IMAGE_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class PostFilters:
    """List filters: search in title and excerpt, a category, a tag, a status, only mine."""

    q: str | None = None
    category: str | None = None
    tag: str | None = None
    status: str | None = None
    mine: bool = False


def _invalid(field: str, detail: str, code: str) -> Invalid:
    return Invalid(detail, code=code, errors=[{"field": field, "message": detail}])


def _slug_conflict(slug: str) -> Conflict:
    detail = f"Another post already uses the slug '{slug}'."
    return Conflict(detail, code="slug_taken", errors=[{"field": "body.slug", "message": detail}])


# --- reading -------------------------------------------------------------------------------


async def list_posts(
    session: AsyncSession, *, org_id: uuid.UUID, viewer: Viewer, filters: PostFilters, page: int, limit: int
) -> Page[BlogPost]:
    """The posts the viewer may see, newest publication first, filtered."""
    query = posts().where(BlogPost.organization_id == org_id, visible_to(viewer))
    if filters.mine:
        if viewer.user_id is None:
            raise Unauthorized("Sign in to list your own posts.", code="sign_in_required")
        query = query.where(BlogPost.author_id == viewer.user_id)
    if filters.q:
        title, excerpt = (c.icontains(filters.q, autoescape=True) for c in (BlogPost.title, BlogPost.excerpt))
        query = query.where(or_(title, excerpt))
    if filters.category:
        query = query.where(has_label(BlogPost.categories, filters.category))
    if filters.tag:
        query = query.where(has_label(BlogPost.tags, filters.tag))
    if filters.status:
        query = query.where(BlogPost.status == filters.status)
    query = query.order_by(BlogPost.published_at.desc().nulls_last(), BlogPost.id.desc())
    return await paginate(session, query, page=page, limit=limit)


async def load_post(session: AsyncSession, *, org_id: uuid.UUID, post_id: uuid.UUID) -> BlogPost:
    """A post by id, freshly loaded (whatever the session held)."""
    query = posts().where(BlogPost.organization_id == org_id, BlogPost.id == post_id)
    post = (await session.scalars(query.execution_options(populate_existing=True))).first()
    if post is None:
        raise NotFound("No such post.", code="post_not_found")
    return post


async def find_post(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    viewer: Viewer,
    post_id: uuid.UUID | None = None,
    slug: str | None = None,
) -> BlogPost:
    """A post the viewer may see, by id or slug; 404 for any other (drafts included)."""
    query = posts().where(BlogPost.organization_id == org_id, visible_to(viewer))
    query = query.where(BlogPost.id == post_id) if post_id is not None else query.where(BlogPost.slug == slug)
    post = (await session.scalars(query)).first()
    if post is None:
        raise NotFound("No such post.", code="post_not_found")
    return post


async def post_is_public(session: AsyncSession, *, post: BlogPost) -> bool:
    """Whether readers see ``post`` now (published and its time reached, by the database clock)."""
    query = select(BlogPost.id).where(
        BlogPost.organization_id == post.organization_id, BlogPost.id == post.id, is_public()
    )
    return await session.scalar(query) is not None


async def list_labels(
    session: AsyncSession, *, org_id: uuid.UUID, kind: Literal["categories", "tags"]
) -> list[tuple[str, int]]:
    """Categories or tags of public posts with their post counts (case variants merged)."""
    column = BlogPost.categories if kind == "categories" else BlogPost.tags
    label = func.unnest(column).table_valued("label").render_derived().lateral()
    key = func.lower(label.c.label)
    query = (
        select(func.min(label.c.label), func.count(BlogPost.id.distinct()))
        .select_from(BlogPost)
        .join(label, true())
        .where(BlogPost.organization_id == org_id, is_public())
        .group_by(key)
        .order_by(func.count(BlogPost.id.distinct()).desc(), key)
    )
    return [(name, count) for name, count in (await session.execute(query)).all()]


# --- writing -------------------------------------------------------------------------------


def publication_time(status: str, when: datetime | None, *, now: datetime) -> datetime | None:
    """The ``published_at`` a post in ``status`` gets; 422 naming ``body.published_at`` if impossible."""
    if status == SCHEDULED:
        if when is None or when <= now:
            raise _invalid("body.published_at", "A scheduled post needs a future published_at.", "schedule_in_past")
        return when
    if status == PUBLISHED:
        if when is not None and when > now:
            detail = "A published post cannot have a future published_at: use status 'scheduled'."
            raise _invalid("body.published_at", detail, "publish_in_future")
        return when or now
    return when


async def create_post(session: AsyncSession, *, author: Principal, data: PostCreate) -> BlogPost:
    """Create a post by ``author``; announces it when published at once."""
    now = datetime.now(UTC)
    published_at = publication_time(data.status, data.published_at, now=now)
    values: dict[str, Any] = {
        "organization_id": author.org_id,
        "author_id": author.user_id,
        "title": data.title,
        "excerpt": data.excerpt,
        "content": data.content,
        "categories": data.categories,
        "tags": data.tags,
        "status": data.status,
        "published_at": published_at,
        "announced_at": now if data.status == PUBLISHED else None,
    }
    post_id = await _insert(session, values, explicit=data.slug)
    post = await load_post(session, org_id=author.org_id, post_id=post_id)
    await publish(session, PostCreated(**_facts(post), status=post.status), actor_id=author.user_id)
    if post.announced_at is not None:
        await _announce(session, post, actor_id=author.user_id)
    await session.commit()
    return post


async def _insert(session: AsyncSession, values: dict[str, Any], *, explicit: str | None) -> uuid.UUID:
    """Insert with a free slug, retrying when a concurrent writer took it first."""
    base = slugify(values["title"])
    for _ in range(SLUG_ATTEMPTS):
        slug = explicit or await free_slug(session, org_id=values["organization_id"], base=base)
        statement = (
            insert(BlogPost)
            .values(**values, id=new_id(), slug=slug)
            .on_conflict_do_nothing(index_elements=["organization_id", "slug"])
            .returning(BlogPost.id)
        )
        post_id = await session.scalar(statement)
        if post_id is not None:
            return post_id
        if explicit:
            raise _slug_conflict(explicit)
    raise Conflict("Could not find a free slug; try again.", code="slug_busy")


async def update_post(session: AsyncSession, *, post: BlogPost, actor: Principal, data: PostUpdate) -> BlogPost:
    """Apply the given fields; a first publication announces the post."""
    given = data.model_fields_set
    for name in ("title", "excerpt", "content", "categories", "tags"):
        if name in given:
            setattr(post, name, getattr(data, name))
    if given & {"status", "published_at"}:
        _reschedule(post, data, given)
    await _reslug(session, post, data, given)
    try:
        await session.flush()
    except IntegrityError as exc:
        if SLUG_CONSTRAINT in str(exc.orig):
            raise _slug_conflict(post.slug) from exc
        raise
    await publish(session, PostUpdated(**_facts(post), status=post.status), actor_id=actor.user_id)
    if post.status == PUBLISHED and await _claim_announcement(session, post):
        await _announce(session, post, actor_id=actor.user_id)
    await session.commit()
    return await load_post(session, org_id=post.organization_id, post_id=post.id)


def _reschedule(post: BlogPost, data: PostUpdate, given: set[str]) -> None:
    status = data.status if data.status is not None else post.status
    if "published_at" in given:
        when = data.published_at
    elif status == PUBLISHED and post.status != PUBLISHED:
        when = None  # publishing now
    else:
        when = post.published_at
    post.published_at = publication_time(status, when, now=datetime.now(UTC))
    post.status = status


async def _reslug(session: AsyncSession, post: BlogPost, data: PostUpdate, given: set[str]) -> None:
    if "slug" in given and data.slug is not None and data.slug != post.slug:
        if await slug_taken(session, org_id=post.organization_id, slug=data.slug, exclude=post.id):
            raise _slug_conflict(data.slug)
        post.slug = data.slug
    elif data.regenerate_slug:
        post.slug = await free_slug(session, org_id=post.organization_id, base=slugify(post.title), exclude=post.id)


async def delete_post(session: AsyncSession, files: TenantFiles, *, post: BlogPost, actor: Principal) -> None:
    """Delete a post and its comments; its image goes once the deletion committed."""
    where = (BlogPost.organization_id == post.organization_id, BlogPost.id == post.id)
    async with files.staging(session) as stage:
        stage.release(post.image)
        await session.execute(delete(BlogPost).where(*where))
        await publish(session, PostDeleted(**_facts(post)), actor_id=actor.user_id)
        await session.commit()


async def set_image(
    session: AsyncSession, files: TenantFiles, *, post: BlogPost, actor: Principal, upload: UploadFile | None
) -> BlogPost:
    """Store ``upload`` as the post's image (PNG, JPEG, WebP or GIF), or remove it (None): the
    replaced file is deleted after the change committed, the new one if the change failed."""
    async with files.staging(session) as stage:
        stored = await save_image(stage, upload, name="image", max_bytes=IMAGE_MAX_BYTES, gif=True) if upload else None
        stage.release(post.image)
        post.image = stored.key if stored else None
        await publish(session, PostUpdated(**_facts(post), status=post.status), actor_id=actor.user_id)
        await session.commit()
    return await load_post(session, org_id=post.organization_id, post_id=post.id)


async def open_post_image(files: TenantFiles, *, post: BlogPost) -> Download:
    """The stored image of a post; 404 when it has none."""
    return await open_image(files, post.image, missing=NotFound("This post has no image.", code="image_not_found"))


# --- publishing ----------------------------------------------------------------------------


async def publish_due(session: AsyncSession, *, org_id: uuid.UUID) -> int:
    """Publish the scheduled posts whose time has come (the ``blog.publish_due`` job)."""
    due = (
        select(BlogPost)
        .where(BlogPost.organization_id == org_id, BlogPost.status == SCHEDULED, BlogPost.published_at <= func.now())
        .with_for_update(skip_locked=True)
    )
    published = list(await session.scalars(due))
    for post in published:
        post.status = PUBLISHED
        if post.announced_at is None:
            post.announced_at = datetime.now(UTC)
            await _announce(session, post, actor_id=None)
    return len(published)


async def _claim_announcement(session: AsyncSession, post: BlogPost) -> bool:
    """Mark the post announced unless it already is: one statement on the locked row, so an
    update racing the scheduler cannot announce a post twice."""
    claimed = await session.scalar(
        update(BlogPost)
        .where(BlogPost.organization_id == post.organization_id, BlogPost.id == post.id)
        .where(BlogPost.announced_at.is_(None))
        .values(announced_at=func.now())
        .returning(BlogPost.id)
        .execution_options(synchronize_session=False)
    )
    return claimed is not None


async def _announce(session: AsyncSession, post: BlogPost, *, actor_id: uuid.UUID | None) -> None:
    event = PostPublished(entity_id=post.id, post_id=post.id, title=post.title, slug=post.slug)
    await publish(session, event, actor_id=actor_id)


def _facts(post: BlogPost) -> dict[str, Any]:
    return {"entity_id": post.id, "post_id": post.id, "title": post.title}
