"""Portal pages of the blog (mounted by the kernel through ``register_pages``).

Readers: the list of posts, a post with its visible comments, and a comment form for signed-in
people who may comment. Writers (``blog.post:write``; staff their own posts): writing,
editing, publishing or scheduling, and deleting posts. Every page calls the blog's own
services with the same ``Viewer`` and grants as the API.
"""

from __future__ import annotations

import pathlib
import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from marcus_blog import comments, service
from marcus_blog.models import STATUSES, BlogPost
from marcus_blog.permissions import COMMENT_WRITE, POST_WRITE, Viewer, viewer_for
from marcus_blog.schemas import SLUG_PATTERN, CommentCreate, PostCreate, PostRead, PostUpdate
from marcus_blog.service import PostFilters

import marcus

router = APIRouter(prefix="/blog")
CanWrite = Annotated[marcus.Grant, marcus.page_require(POST_WRITE)]
CanComment = Annotated[marcus.Grant, marcus.page_require(COMMENT_WRITE)]
Files = Annotated[marcus.TenantFiles, Depends(marcus.tenant_files("blog"))]
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=100)]
TEXT_FIELDS = ("title", "excerpt", "content", "status", "slug")
PER_PAGE = 10
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


async def _viewer(page: marcus.PageState) -> Viewer:
    return await viewer_for(page.kernel, page.visitor.principal, page.visitor.session)


@router.get("", response_class=HTMLResponse)
async def list_posts(
    request: Request,
    page: marcus.PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Posts, newest first (writers also see their drafts)."""
    viewer = await _viewer(page)
    filters = PostFilters(q=q or None, tag=tag or None)
    found = await service.list_posts(
        page.db, org_id=page.workspace.id, viewer=viewer, filters=filters, page=number, limit=PER_PAGE
    )
    values = {
        "posts": [PostRead.of(post) for post in found.items],
        "paging": found,
        "query": {"q": q or "", "tag": tag or ""},
        "writer": viewer.write is not None,
    }
    return await marcus.render(request, "blog/list.html", values)


@router.get("/write/new", response_class=HTMLResponse)
async def new_post(request: Request, page: marcus.PageDep, _: CanWrite) -> HTMLResponse:
    """The form for a new post."""
    return await _edit_page(request, None, {"status": "draft"})


@router.post("/write/new", response_class=HTMLResponse)
async def create_post(request: Request, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Create a post (a draft, published at once, or scheduled)."""
    submitted = marcus.form_values(await request.form())
    values, errors = _post_values(submitted, page.workspace)
    data, invalid = marcus.parse_form(PostCreate, values)
    if data is None or errors:
        return await _edit_page(request, None, submitted, _merged(errors, invalid))
    try:
        post = await service.create_post(page.db, author=grant.principal, data=data)
    except marcus.MarcusError as exc:
        return await _edit_page(request, None, submitted, marcus.FormErrors.of_error(exc), exc.status)
    return marcus.redirect(request, f"/blog/{post.slug}", notice="Post saved.")


@router.get("/write/{post_id}", response_class=HTMLResponse)
async def edit_post(request: Request, post_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> HTMLResponse:
    """The form to change a post."""
    post = await _writable(page, grant, post_id)
    return await _edit_page(request, post, _form_of(post, page.workspace))


@router.post("/write/{post_id}", response_class=HTMLResponse)
async def update_post(request: Request, post_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite) -> Response:
    """Save changes to a post; publishing it for the first time announces it."""
    post = await _writable(page, grant, post_id)
    submitted = marcus.form_values(await request.form())
    values, errors = _post_values(submitted, page.workspace)
    if values.get("slug") == post.slug:
        del values["slug"]
    data, invalid = marcus.parse_form(PostUpdate, values)
    if data is None or errors:
        return await _edit_page(request, post, submitted, _merged(errors, invalid))
    try:
        post = await service.update_post(page.db, post=post, actor=grant.principal, data=data)
    except marcus.MarcusError as exc:
        return await _edit_page(request, post, submitted, marcus.FormErrors.of_error(exc), exc.status)
    return marcus.redirect(request, f"/blog/{post.slug}", notice="Post saved.")


@router.post("/write/{post_id}/delete")
async def delete_post(
    request: Request, post_id: uuid.UUID, page: marcus.PageDep, grant: CanWrite, files: Files
) -> Response:
    """Delete a post with its comments."""
    post = await _writable(page, grant, post_id)
    await service.delete_post(page.db, files, post=post, actor=grant.principal)
    return marcus.redirect(request, "/blog", notice=f"“{post.title}” is deleted.")


@router.get("/{slug}", response_class=HTMLResponse)
async def read_post(request: Request, slug: SlugPath, page: marcus.PageDep) -> HTMLResponse:
    """A post and its comments."""
    return await _post_page(request, page, slug)


@router.post("/{slug}/comments", response_class=HTMLResponse)
async def add_comment(request: Request, slug: SlugPath, page: marcus.PageDep, grant: CanComment) -> Response:
    """Comment on a published post."""
    viewer = await _viewer(page)
    post = await service.find_post(page.db, org_id=page.workspace.id, viewer=viewer, slug=slug)
    data, errors = marcus.parse_form(CommentCreate, await request.form())
    if data is None:
        return await _post_page(request, page, slug, errors=errors)
    try:
        await comments.add_comment(page.db, post=post, grant=grant, content=data.content)
    except marcus.MarcusError as exc:
        return await _post_page(request, page, slug, errors=marcus.FormErrors.of_error(exc), status=exc.status)
    return marcus.redirect(request, f"/blog/{slug}#comments", notice="Your comment is published.")


# --- helpers ---------------------------------------------------------------------------------


async def _post_page(
    request: Request, page: marcus.PageState, slug: str, *, errors: marcus.FormErrors | None = None, status: int = 200
) -> HTMLResponse:
    viewer = await _viewer(page)
    post = await service.find_post(page.db, org_id=page.workspace.id, viewer=viewer, slug=slug)
    found = await comments.list_comments(page.db, post=post, viewer=viewer, page=1, limit=100)
    values = {
        "post": PostRead.of(post),
        "comments": found.items,
        "can_comment": viewer.comment is not None,
        "can_edit": viewer.write is not None and viewer.write.covers(post.author_id),
        "errors": errors or marcus.FormErrors(),
    }
    return await marcus.render(
        request, "blog/post.html", values, status_code=422 if errors and status == 200 else status
    )


async def _writable(page: marcus.PageState, grant: marcus.Grant, post_id: uuid.UUID) -> BlogPost:
    post = await service.find_post(page.db, org_id=page.workspace.id, viewer=await _viewer(page), post_id=post_id)
    if not grant.covers(post.author_id):
        raise marcus.Forbidden("You may change only your own posts.", code="not_your_post")
    return post


def _labels(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _post_values(form: dict[str, Any], tenant: marcus.Tenant) -> tuple[dict[str, Any], marcus.FormErrors]:
    """The form as the schema's fields: labels from comma-separated text, the local time made aware."""
    values: dict[str, Any] = {k: form[k] for k in TEXT_FIELDS if form.get(k)}
    values["excerpt"] = form.get("excerpt", "")
    values["categories"] = _labels(str(form.get("categories", "")))
    values["tags"] = _labels(str(form.get("tags", "")))
    errors = marcus.FormErrors()
    if when := form.get("published_at"):
        try:
            zone = zoneinfo.ZoneInfo(marcus.workspace_settings(tenant).time_zone)
            values["published_at"] = datetime.strptime(str(when), LOCAL_FORMAT).replace(tzinfo=zone)
        except ValueError:
            errors.add("published_at", "Enter a date and time.")
    return values, errors


def _merged(first: marcus.FormErrors, second: marcus.FormErrors) -> marcus.FormErrors:
    for name, messages in second.fields.items():
        for message in messages:
            first.add(name, message)
    first.general += second.general
    return first


def _form_of(post: BlogPost, tenant: marcus.Tenant) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(marcus.workspace_settings(tenant).time_zone)
    when = post.published_at.astimezone(zone).strftime(LOCAL_FORMAT) if post.published_at else ""
    values: dict[str, Any] = {k: getattr(post, k) for k in TEXT_FIELDS}
    return values | {"categories": ", ".join(post.categories), "tags": ", ".join(post.tags), "published_at": when}


async def _edit_page(
    request: Request,
    post: BlogPost | None,
    form: dict[str, Any],
    errors: marcus.FormErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    values = {"post": post, "form": form, "errors": errors or marcus.FormErrors(), "statuses": list(STATUSES)}
    code = 422 if errors and status == 200 else status
    return await marcus.render(request, "blog/edit.html", values, status_code=code)


def pageset() -> marcus.PageSet:
    """What ``register_pages`` returns: the router, the templates folder, the menu entry."""
    return marcus.PageSet(
        router=router,
        templates=pathlib.Path(__file__).parent / "templates",
        menu=(marcus.MenuEntry(label="Blog", path="/blog"),),
    )
