"""Slugs: readable, unique per workspace, stable until an admin asks for a new one.

A slug made from a name gets the first free numeric suffix (``consulting``, ``consulting-2``);
a slug the admin types is taken as is or refused. Allocation holds a per-workspace advisory
lock for the rest of the transaction, so two concurrent creations never pick the same suffix
(the unique key ``(organization_id, slug)`` stays the net).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_LENGTH = 80
BASE_LENGTH = 72  # room for a "-<n>" suffix
RESERVED = frozenset({"categories"})  # static paths next to /{slug}


def slugify(text: str, *, fallback: str) -> str:
    """``"Café Consulting!"`` -> ``"cafe-consulting"``; ``fallback`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:BASE_LENGTH].strip("-") or fallback


async def lock_slugs(session: AsyncSession, *, org_id: uuid.UUID, table: str) -> None:
    """Serialize slug allocation for one workspace's table until the transaction ends."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"{table}:slug:{org_id}"))))


async def free_slug(
    session: AsyncSession, model: Any, *, org_id: uuid.UUID, base: str, exclude_id: uuid.UUID | None = None
) -> str:
    """``base`` or ``base-<n>`` with the smallest ``n`` not used in the workspace (nor reserved)."""
    query = select(model.slug).where(
        model.organization_id == org_id, or_(model.slug == base, model.slug.like(f"{base}-%"))
    )
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    taken = set(await session.scalars(query)) | RESERVED
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def slug_taken(
    session: AsyncSession, model: Any, *, org_id: uuid.UUID, slug: str, exclude_id: uuid.UUID | None = None
) -> bool:
    """Whether another row of the workspace uses ``slug`` (reserved words count as used)."""
    if slug in RESERVED:
        return True
    query = select(model.id).where(model.organization_id == org_id, model.slug == slug)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return (await session.scalar(query.limit(1))) is not None
