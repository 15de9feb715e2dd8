"""``/api/v1/blog``: posts (public reading, staff writing), their images, labels and comments.

Thin routes: parse, authorize (``require`` or the optional ``Viewer``), call one service
function, return a schema. Existence and ownership are checked once, in dependencies.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from marcus_blog import comments, service
from marcus_blog.models import BlogComment, BlogPost
from marcus_blog.permissions import COMMENT_MODERATE, COMMENT_WRITE, POST_WRITE, ViewerDep, viewer_for
from marcus_blog.schemas import (
    SLUG_PATTERN,
    CommentCreate,
    CommentPage,
    CommentRead,
    LabelRead,
    PostCreate,
    PostPage,
    PostRead,
    PostStatus,
    PostUpdate,
)
from marcus_blog.service import PostFilters

from marcus import (
    CurrentPrincipal,
    CurrentTenant,
    Forbidden,
    Grant,
    KernelDep,
    PageQuery,
    SessionDep,
    TenantFiles,
    UploadRoute,
    image_response,
    image_responses,
    require,
    tenant_files,
)

router = APIRouter(tags=["blog"], route_class=UploadRoute)
WriteGrant = Annotated[Grant, require(POST_WRITE)]
CommentGrant = Annotated[Grant, require(COMMENT_WRITE)]
ModerateGrant = Annotated[Grant, require(COMMENT_MODERATE)]
Files = Annotated[TenantFiles, Depends(tenant_files("blog"))]


# --- dependencies: find once, check once ---------------------------------------------------


def post_filters(
    q: Annotated[str | None, Query(max_length=100, description="Search in title and excerpt")] = None,
    category: Annotated[str | None, Query(max_length=40, description="Only posts in this category")] = None,
    tag: Annotated[str | None, Query(max_length=40, description="Only posts with this tag")] = None,
    status: Annotated[PostStatus | None, Query(description="Only posts in this status (staff)")] = None,
    mine: Annotated[bool, Query(description="Only the caller's own posts, any status")] = False,
) -> PostFilters:
    """The list filters; bad values are a 422 naming the parameter."""
    return PostFilters(q=q, category=category, tag=tag, status=status, mine=mine)


async def visible_post(post_id: uuid.UUID, viewer: ViewerDep, session: SessionDep, tenant: CurrentTenant) -> BlogPost:
    """A post the caller may see (404 otherwise: drafts are invisible to readers)."""
    return await service.find_post(session, org_id=tenant.id, viewer=viewer, post_id=post_id)


async def writable_post(
    post_id: uuid.UUID, grant: WriteGrant, kernel: KernelDep, session: SessionDep, tenant: CurrentTenant
) -> BlogPost:
    """A post the caller may change: any post, or only their own with the ``own`` scope."""
    viewer = await viewer_for(kernel, grant.principal, session)
    post = await service.find_post(session, org_id=tenant.id, viewer=viewer, post_id=post_id)
    if not grant.covers(post.author_id):
        raise Forbidden("You may change only your own posts.", code="not_your_post")
    return post


async def visible_comment(
    comment_id: uuid.UUID, principal: CurrentPrincipal, kernel: KernelDep, session: SessionDep, tenant: CurrentTenant
) -> BlogComment:
    """A comment the signed-in caller may see (hidden ones only for moderators)."""
    viewer = await viewer_for(kernel, principal, session)
    return await comments.find_comment(session, org_id=tenant.id, viewer=viewer, comment_id=comment_id)


VisiblePost = Annotated[BlogPost, Depends(visible_post)]
WritablePost = Annotated[BlogPost, Depends(writable_post)]
VisibleComment = Annotated[BlogComment, Depends(visible_comment)]
Filters = Annotated[PostFilters, Depends(post_filters)]
SlugPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="The post's slug")]


# --- posts ---------------------------------------------------------------------------------


@router.get("/posts", response_model=PostPage)
async def list_posts(
    viewer: ViewerDep, filters: Filters, paging: PageQuery, session: SessionDep, tenant: CurrentTenant
) -> PostPage:
    """List posts: published ones for readers; staff see all, writers also their own."""
    page = await service.list_posts(
        session, org_id=tenant.id, viewer=viewer, filters=filters, page=paging.page, limit=paging.limit
    )
    items = [PostRead.of(post) for post in page.items]
    return PostPage(items=items, page=page.page, limit=page.limit, total=page.total, pages=page.pages)


@router.post("/posts", response_model=PostRead, status_code=status.HTTP_201_CREATED)
async def create_post(body: PostCreate, grant: WriteGrant, session: SessionDep) -> PostRead:
    """Create a post (draft, scheduled or published at once)."""
    return PostRead.of(await service.create_post(session, author=grant.principal, data=body))


@router.get("/posts/by-slug/{slug}", response_model=PostRead)
async def get_post_by_slug(slug: SlugPath, viewer: ViewerDep, session: SessionDep, tenant: CurrentTenant) -> PostRead:
    """Read a post by its slug (404 for unpublished posts unless you may see them)."""
    return PostRead.of(await service.find_post(session, org_id=tenant.id, viewer=viewer, slug=slug))


@router.get("/posts/{post_id}", response_model=PostRead)
async def get_post(post: VisiblePost) -> PostRead:
    """Read a post by its id (404 for unpublished posts unless you may see them)."""
    return PostRead.of(post)


@router.patch("/posts/{post_id}", response_model=PostRead)
async def update_post(body: PostUpdate, post: WritablePost, grant: WriteGrant, session: SessionDep) -> PostRead:
    """Edit a post, change its status or schedule, or its slug (kept on rename unless asked)."""
    return PostRead.of(await service.update_post(session, post=post, actor=grant.principal, data=body))


@router.delete("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_post(post: WritablePost, grant: WriteGrant, session: SessionDep, files: Files) -> None:
    """Delete a post with its comments and image."""
    await service.delete_post(session, files, post=post, actor=grant.principal)


@router.put("/posts/{post_id}/image", response_model=PostRead)
async def upload_post_image(
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP or GIF, at most 5 MiB")],
    post: WritablePost,
    grant: WriteGrant,
    session: SessionDep,
    files: Files,
) -> PostRead:
    """Upload the post's image (the type is read from the content; size-limited)."""
    updated = await service.set_image(session, files, post=post, actor=grant.principal, upload=file)
    return PostRead.of(updated)


@router.delete("/posts/{post_id}/image", response_model=PostRead)
async def delete_post_image(post: WritablePost, grant: WriteGrant, session: SessionDep, files: Files) -> PostRead:
    """Remove the post's image."""
    updated = await service.set_image(session, files, post=post, actor=grant.principal, upload=None)
    return PostRead.of(updated)


@router.get("/posts/{post_id}/image", response_class=StreamingResponse, responses=image_responses(gif=True))
async def get_post_image(post: VisiblePost, files: Files) -> StreamingResponse:
    """The post's image (for whoever may see the post)."""
    return image_response(await service.open_post_image(files, post=post))


@router.get("/categories", response_model=list[LabelRead])
async def list_categories(session: SessionDep, tenant: CurrentTenant) -> list[LabelRead]:
    """Categories of published posts, most used first."""
    labels = await service.list_labels(session, org_id=tenant.id, kind="categories")
    return [LabelRead(name=name, posts=count) for name, count in labels]


@router.get("/tags", response_model=list[LabelRead])
async def list_tags(session: SessionDep, tenant: CurrentTenant) -> list[LabelRead]:
    """Tags of published posts, most used first."""
    labels = await service.list_labels(session, org_id=tenant.id, kind="tags")
    return [LabelRead(name=name, posts=count) for name, count in labels]


# --- comments ------------------------------------------------------------------------------


@router.get("/posts/{post_id}/comments", response_model=CommentPage)
async def list_comments(post: VisiblePost, viewer: ViewerDep, paging: PageQuery, session: SessionDep) -> CommentPage:
    """A post's comments, oldest first (hidden ones only for moderators)."""
    page = await comments.list_comments(session, post=post, viewer=viewer, page=paging.page, limit=paging.limit)
    items = [CommentRead.of(comment) for comment in page.items]
    return CommentPage(items=items, page=page.page, limit=page.limit, total=page.total, pages=page.pages)


@router.post("/posts/{post_id}/comments", response_model=CommentRead, status_code=status.HTTP_201_CREATED)
async def create_comment(
    body: CommentCreate, grant: CommentGrant, post: VisiblePost, session: SessionDep
) -> CommentRead:
    """Comment on a published post."""
    return CommentRead.of(await comments.add_comment(session, post=post, grant=grant, content=body.content))


@router.get("/comments", response_model=CommentPage)
async def list_all_comments(
    _: ModerateGrant,
    paging: PageQuery,
    session: SessionDep,
    tenant: CurrentTenant,
    hidden: Annotated[bool | None, Query(description="Only hidden (true) or visible (false) comments")] = None,
    post_id: Annotated[uuid.UUID | None, Query(description="Only comments on this post")] = None,
) -> CommentPage:
    """Every comment of the workspace, newest first (moderation)."""
    page = await comments.list_for_moderation(
        session, org_id=tenant.id, hidden=hidden, post_id=post_id, page=paging.page, limit=paging.limit
    )
    items = [CommentRead.of(comment) for comment in page.items]
    return CommentPage(items=items, page=page.page, limit=page.limit, total=page.total, pages=page.pages)


@router.post("/comments/{comment_id}/hide", response_model=CommentRead)
async def hide_comment(grant: ModerateGrant, comment: VisibleComment, session: SessionDep) -> CommentRead:
    """Hide a comment from the public (moderation)."""
    return CommentRead.of(await comments.set_hidden(session, comment=comment, grant=grant, hidden=True))


@router.post("/comments/{comment_id}/unhide", response_model=CommentRead)
async def unhide_comment(grant: ModerateGrant, comment: VisibleComment, session: SessionDep) -> CommentRead:
    """Show a hidden comment again (moderation)."""
    return CommentRead.of(await comments.set_hidden(session, comment=comment, grant=grant, hidden=False))


@router.delete("/comments/{comment_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_comment(
    comment: VisibleComment, principal: CurrentPrincipal, kernel: KernelDep, session: SessionDep
) -> None:
    """Delete a comment: your own, or any as a moderator."""
    await comments.delete_comment(session, comment=comment, viewer=await viewer_for(kernel, principal, session))


def api_router() -> APIRouter:
    """The blog's router, each route's one-line docstring as its OpenAPI summary."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.description:
            route.summary = route.description.strip().splitlines()[0]
    return router
