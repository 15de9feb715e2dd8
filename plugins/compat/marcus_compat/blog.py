"""``/blog`` and ``/comment`` (seed §3.8, rows 40-45 and 67) on the blog plugin's services.

Differences: the public list and detail show published posts only (scheduled ones appear when
due, §9.26) and authors as an id and a name (never a user row, §9.6); deleting a post needs the
blog's write permission (admins; §9.5); a post's slug stays when it is renamed (links keep
working); comments follow the blog's moderation; unknown fields (``userId``...) are refused.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request, status
from fastapi.responses import JSONResponse
from marcus_blog import comments, service
from marcus_blog.permissions import COMMENT_WRITE, POST_WRITE, ViewerDep, viewer_for
from marcus_blog.schemas import PostCreate, PostUpdate
from marcus_blog.service import PostFilters
from pydantic import Field

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, SeedPage, ok, paginated, request_fields, validate

router = CompatRouter()
WriteGrant = Annotated[marcus.Grant, marcus.require(POST_WRITE)]
CommentGrant = Annotated[marcus.Grant, marcus.require(COMMENT_WRITE)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("blog"))]
SEED_STATUS = {"published": "Publish", "scheduled": "Schedule", "draft": "Draft"}
MARCUS_STATUS = {v.lower(): k for k, v in SEED_STATUS.items()}
Text = Annotated[str, Field(min_length=1)]


class BlogIn(CompatModel):
    title: Text
    excerpt: Text
    content: Text
    categories: Annotated[list[str], Field(min_length=1)]
    tags: Annotated[list[str], Field(min_length=1)]
    status: str | None = None
    publish_date: datetime | None = None


class BlogUpdateIn(CompatModel):
    title: Text | None = None
    excerpt: Text | None = None
    content: Text | None = None
    categories: list[str] | None = None
    tags: list[str] | None = None


class CommentIn(CompatModel):
    blog_id: uuid.UUID
    content: Annotated[str, Field(min_length=1, max_length=5000)]


def seed_post(post: Any) -> dict[str, Any]:
    """The seed's blog object, without any author secret."""
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "excerpt": post.excerpt,
        "content": post.content,
        "image": f"/api/v1/blog/posts/{post.id}/image" if post.image else None,
        "status": SEED_STATUS.get(post.status, post.status),
        "publish_date": post.published_at,
        "categories": list(post.categories),
        "tags": list(post.tags),
        "admin_id": post.author_id,
        "admin": {"id": post.author_id, "name": post.author_name},
        "comment_count": post.comment_count or 0,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


def seed_comment(comment: Any) -> dict[str, Any]:
    return {
        "id": comment.id,
        "blog_id": comment.post_id,
        "user_id": comment.user_id,
        "user": {"id": comment.user_id, "name": comment.author_name},
        "content": comment.content,
        "created_at": comment.created_at,
    }


def _status_filter(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    found = MARCUS_STATUS.get(value.lower())
    if found is None:
        raise marcus.Invalid(
            "status must be Publish or Schedule",
            code="validation_error",
            errors=[{"field": "status", "message": "Publish or Schedule"}],
        )
    return found


def _publication(data: BlogIn) -> dict[str, Any]:
    """The seed's rule: ``status`` "schedule" (any case) needs ``publishDate``; anything else publishes now."""
    if (data.status or "").lower() != "schedule":
        return {"status": "published"}
    if data.publish_date is None:
        raise marcus.Invalid(
            "publishDate is required", code="validation_error", errors=[{"field": "publishDate", "message": "required"}]
        )
    when = data.publish_date if data.publish_date.tzinfo else data.publish_date.replace(tzinfo=UTC)
    return {"status": "scheduled", "published_at": when}


async def _list(
    session: Any, tenant: marcus.Tenant, viewer: Any, paging: Any, filters: PostFilters, message: str
) -> JSONResponse:
    page = await service.list_posts(
        session, org_id=tenant.id, viewer=viewer, filters=filters, page=paging.page, limit=paging.limit
    )
    return paginated(
        [seed_post(p) for p in page.items], page=paging.page, limit=paging.limit, total=page.total, message=message
    )


@router.get("/blog", summary="Published blog posts")
async def list_blogs(
    viewer: ViewerDep,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    paging: SeedPage,
    search_term: Annotated[str | None, Query(alias="searchTerm", max_length=100)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> JSONResponse:
    """Posts the caller may see (the public: published ones), newest first; ``searchTerm``, ``status``."""
    filters = PostFilters(q=search_term or None, status=_status_filter(status_))
    return await _list(session, tenant, viewer, paging, filters, "Blogs Retrieved Successfully")


@router.get("/blog/myself-blogs", summary="Your own posts (admin)")
async def list_my_blogs(
    grant: WriteGrant,
    request: Request,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    paging: SeedPage,
    search_term: Annotated[str | None, Query(alias="searchTerm", max_length=100)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> JSONResponse:
    """The caller's posts in any status."""
    viewer = await viewer_for(request.app.state.kernel, grant.principal, session)
    filters = PostFilters(q=search_term or None, status=_status_filter(status_), mine=True)
    return await _list(session, tenant, viewer, paging, filters, "Blogs Retrieved Successfully")


@router.post("/blog", status_code=status.HTTP_201_CREATED, summary="Create a post (multipart data + file)")
async def create_blog(request: Request, grant: WriteGrant, session: marcus.SessionDep, files: Files) -> JSONResponse:
    """Create a post with its image; ``status: "schedule"`` with ``publishDate`` schedules it."""
    fields, uploads, _ = await request_fields(request, file_fields=("file",))
    if not fields:
        raise marcus.Invalid(
            "Body data is required", code="validation_error", errors=[{"field": "data", "message": "required"}]
        )
    if len(uploads) != 1:
        raise marcus.Invalid(
            "File is required", code="validation_error", errors=[{"field": "file", "message": "one image"}]
        )
    data = validate(BlogIn, fields)
    publication = _publication(data)
    draft = validate(
        PostCreate,
        {
            "title": data.title,
            "excerpt": data.excerpt,
            "content": data.content,
            "categories": data.categories,
            "tags": data.tags,
        },
    )
    post = await service.create_post(session, author=grant.principal, data=draft)
    try:
        post = await service.set_image(session, files, post=post, actor=grant.principal, upload=uploads[0])
    except Exception:
        await service.delete_post(session, files, post=post, actor=grant.principal)
        raise
    post = await service.update_post(session, post=post, actor=grant.principal, data=PostUpdate(**publication))
    if post.status == "scheduled":
        return ok(seed_post(post), "Blog Created Successfully, when scheduling time comes it will be published", 201)
    return ok(seed_post(post), "Blog Created Successfully", 201)


@router.get("/blog/{slug}", summary="One post by slug")
async def get_blog(
    slug: str, viewer: ViewerDep, session: marcus.SessionDep, tenant: marcus.CurrentTenant
) -> JSONResponse:
    """A post the caller may see, with its visible comments; 404 otherwise."""
    post = await service.find_post(session, org_id=tenant.id, viewer=viewer, slug=slug)
    page = await comments.list_comments(session, post=post, viewer=viewer, page=1, limit=100)
    return ok(seed_post(post) | {"comments": [seed_comment(c) for c in page.items]}, "Blog Retrieved Successfully")


@router.patch("/blog/update-blog/{post_id}", summary="Edit a post (multipart data and/or file)")
async def update_blog(
    post_id: uuid.UUID,
    request: Request,
    grant: WriteGrant,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    files: Files,
) -> JSONResponse:
    """Change title, excerpt, content, categories, tags and/or the image."""
    fields, uploads, _ = await request_fields(request, file_fields=("file",))
    if not fields and not uploads:
        raise marcus.Invalid("No update data provided", code="empty_update")
    data = validate(BlogUpdateIn, fields)
    post = await _writable(request, grant, session, tenant, post_id=post_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes:
        post = await service.update_post(session, post=post, actor=grant.principal, data=validate(PostUpdate, changes))
    if uploads:
        post = await service.set_image(session, files, post=post, actor=grant.principal, upload=uploads[0])
    return ok(seed_post(post), "Blog Updated Successfully")


async def _writable(request: Request, grant: marcus.Grant, session: Any, tenant: marcus.Tenant, **where: Any) -> Any:
    viewer = await viewer_for(request.app.state.kernel, grant.principal, session)
    post = await service.find_post(session, org_id=tenant.id, viewer=viewer, **where)
    if not grant.covers(post.author_id):
        raise marcus.Forbidden("You may change only your own posts.", code="not_your_post")
    return post


@router.delete("/blog/{slug}", summary="Delete a post (admin)")
async def delete_blog(
    slug: str,
    request: Request,
    grant: WriteGrant,
    session: marcus.SessionDep,
    tenant: marcus.CurrentTenant,
    files: Files,
) -> JSONResponse:
    """Delete a post, its comments and image (the seed let anyone do this, §9.5)."""
    post = await _writable(request, grant, session, tenant, slug=slug)
    await service.delete_post(session, files, post=post, actor=grant.principal)
    return ok(None, "Blog Deleted Successfully")


@router.post("/comment", status_code=status.HTTP_201_CREATED, summary="Comment on a post")
async def create_comment(
    body: CommentIn, grant: CommentGrant, request: Request, session: marcus.SessionDep, tenant: marcus.CurrentTenant
) -> JSONResponse:
    """Comment as the caller on a published post (``userId`` cannot be chosen)."""
    viewer = await viewer_for(request.app.state.kernel, grant.principal, session)
    post = await service.find_post(session, org_id=tenant.id, viewer=viewer, post_id=body.blog_id)
    comment = await comments.add_comment(session, post=post, grant=grant, content=body.content)
    return ok(seed_comment(comment), "Comment Created Successfully", 201)
