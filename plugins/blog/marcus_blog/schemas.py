"""Blog request and response models.

Inputs forbid unknown fields (an ``author_id`` or ``announced_at`` sent by a client is a 422
naming it). Outputs carry only public fields: an author is an id and a display name, never an
email, a hash or a code.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from marcus_blog.models import BlogComment, BlogPost
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from marcus import Page

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_LABELS = 10

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Excerpt = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=SLUG_PATTERN)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Labels = Annotated[list[Label], Field(max_length=MAX_LABELS)]
PostStatus = Literal["draft", "scheduled", "published"]


def clean_labels(labels: list[str]) -> list[str]:
    """Collapse inner whitespace and drop case-insensitive duplicates, keeping the first spelling."""
    seen: dict[str, str] = {}
    for label in labels:
        tidy = re.sub(r"\s+", " ", label)
        seen.setdefault(tidy.casefold(), tidy)
    return list(seen.values())


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostCreate(StrictInput):
    """A new post. ``status`` ``scheduled`` needs a future ``published_at``; ``published`` may
    backdate it (default: now). The slug comes from the title unless given."""

    title: Title
    excerpt: Excerpt = ""
    content: Content
    categories: Labels = []
    tags: Labels = []
    status: PostStatus = "draft"
    published_at: AwareDatetime | None = None
    slug: Slug | None = None

    @field_validator("categories", "tags")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return clean_labels(value)


class PostUpdate(StrictInput):
    """Changes to a post; omitted fields stay. The slug stays on rename unless ``slug`` is given
    or ``regenerate_slug`` asks for one made from the (new) title."""

    title: Title | None = None
    excerpt: Excerpt | None = None
    content: Content | None = None
    categories: Labels | None = None
    tags: Labels | None = None
    status: PostStatus | None = None
    published_at: AwareDatetime | None = None
    slug: Slug | None = None
    regenerate_slug: bool = False

    @field_validator("title", "excerpt", "content", "categories", "tags", "status", "slug")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value

    @field_validator("categories", "tags")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        return clean_labels(value)


class AuthorRead(BaseModel):
    """The public face of a user: an id and a display name."""

    id: uuid.UUID
    name: str


class PostRead(BaseModel):
    """A post as readers see it."""

    id: uuid.UUID
    slug: str
    title: str
    excerpt: str
    content: str
    image_url: str | None
    categories: list[str]
    tags: list[str]
    status: PostStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    author: AuthorRead
    comment_count: int

    @classmethod
    def of(cls, post: BlogPost) -> PostRead:
        """Copy a post loaded with its author name and comment count."""
        return cls(
            id=post.id,
            slug=post.slug,
            title=post.title,
            excerpt=post.excerpt,
            content=post.content,
            image_url=f"/api/v1/blog/posts/{post.id}/image" if post.image else None,
            categories=post.categories,
            tags=post.tags,
            status=post.status,  # the CHECK constraint keeps it in range
            published_at=post.published_at,
            created_at=post.created_at,
            updated_at=post.updated_at,
            author=AuthorRead(id=post.author_id, name=post.author_name),
            comment_count=post.comment_count or 0,
        )


class PostPage(Page[PostRead]):
    """One page of posts."""


class LabelRead(BaseModel):
    """A category or tag in use, with the number of published posts carrying it."""

    name: str
    posts: int


class CommentCreate(StrictInput):
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class CommentRead(BaseModel):
    """A comment; ``hidden`` is only ever true for moderators (the public never sees hidden ones)."""

    id: uuid.UUID
    post_id: uuid.UUID
    content: str
    author: AuthorRead
    hidden: bool
    created_at: datetime

    @classmethod
    def of(cls, comment: BlogComment) -> CommentRead:
        return cls(
            id=comment.id,
            post_id=comment.post_id,
            content=comment.content,
            author=AuthorRead(id=comment.user_id, name=comment.author_name),
            hidden=comment.hidden_at is not None,
            created_at=comment.created_at,
        )


class CommentPage(Page[CommentRead]):
    """One page of comments."""
