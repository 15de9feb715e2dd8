"""Slugs: made from titles, unique per workspace (``UNIQUE (organization_id, slug)``).

``free_slug`` proposes the first of ``base``, ``base-2``, ``base-3`` ... not taken; the insert
itself is ``ON CONFLICT DO NOTHING`` and retried, so two writers racing for one title both
succeed with different slugs.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from marcus_blog.models import BlogPost
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_BASE = 80
FALLBACK = "post"


def slugify(title: str) -> str:
    """``"Café & Co: 2026!"`` -> ``"cafe-co-2026"``; ``"post"`` when nothing Latin is left."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_BASE].rstrip("-") or FALLBACK


async def free_slug(session: AsyncSession, *, org_id: uuid.UUID, base: str, exclude: uuid.UUID | None = None) -> str:
    """The first free slug of ``base``, ``base-2``, ``base-3`` ... in this workspace."""
    query = select(BlogPost.slug).where(
        BlogPost.organization_id == org_id,
        or_(BlogPost.slug == base, BlogPost.slug.startswith(f"{base}-", autoescape=True)),
    )
    if exclude is not None:
        query = query.where(BlogPost.id != exclude)
    taken = set(await session.scalars(query))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def slug_taken(session: AsyncSession, *, org_id: uuid.UUID, slug: str, exclude: uuid.UUID) -> bool:
    """Whether another post of this workspace uses ``slug``."""
    query = select(BlogPost.id).where(BlogPost.organization_id == org_id, BlogPost.slug == slug, BlogPost.id != exclude)
    return await session.scalar(query.limit(1)) is not None
