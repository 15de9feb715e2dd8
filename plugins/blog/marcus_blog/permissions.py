"""The blog's permissions, and ``Viewer``: what the caller of a public route may see.

Readers need no permission: anyone sees published posts and their visible comments. Staff
read every post; writers (staff write their own posts, owner and admin any post) also see
their own drafts; moderators see and act on hidden comments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from marcus import Grant, Kernel, KernelDep, OptionalPrincipal, Permission, Principal, SessionDep

POST_READ = "blog.post:read"
POST_WRITE = "blog.post:write"
COMMENT_WRITE = "blog.comment:write"
COMMENT_MODERATE = "blog.comment:moderate"

PERMISSIONS = [
    Permission(name=POST_READ, description="See unpublished posts (drafts and scheduled)", grants={"staff": "any"}),
    Permission(
        name=POST_WRITE,
        description="Create, edit and delete posts and their images (staff: their own)",
        grants={"staff": "own"},
    ),
    Permission(
        name=COMMENT_WRITE,
        description="Comment on published posts and delete one's own comments",
        grants={"customer": "own", "staff": "own"},
    ),
    Permission(
        name=COMMENT_MODERATE,
        description="Hide, unhide and delete any comment; see hidden comments",
        grants={"staff": "any"},
    ),
]


@dataclass(frozen=True, kw_only=True)
class Viewer:
    """The caller of a public route (``principal`` None: anonymous) and the blog grants it holds."""

    principal: Principal | None = None
    read: Grant | None = None
    write: Grant | None = None
    comment: Grant | None = None
    moderate: Grant | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.principal.user_id if self.principal else None

    @property
    def sees_all_posts(self) -> bool:
        """Reads or writes every post of the workspace."""
        return any(g is not None and g.scope == "any" for g in (self.read, self.write))

    @property
    def moderator(self) -> bool:
        return self.moderate is not None and self.moderate.scope == "any"

    @property
    def writes_own_posts(self) -> bool:
        """May see their own unpublished posts: holds read or write on posts."""
        return self.read is not None or self.write is not None


async def viewer_for(kernel: Kernel, principal: Principal | None, session: AsyncSession | None = None) -> Viewer:
    """The blog grants ``principal`` holds (decisions are cached by the kernel: no query per
    check); ``session``, the request's, reloads a stale policy without a second connection."""
    if principal is None:
        return Viewer()
    grants: dict[str, Grant | None] = {}
    for name in (POST_READ, POST_WRITE, COMMENT_WRITE, COMMENT_MODERATE):
        scope = await kernel.rbac.check(principal.org_id, principal.user_id, name, session=session)
        grants[name] = Grant(principal=principal, permission=name, scope=scope) if scope else None
    return Viewer(
        principal=principal,
        read=grants[POST_READ],
        write=grants[POST_WRITE],
        comment=grants[COMMENT_WRITE],
        moderate=grants[COMMENT_MODERATE],
    )


async def current_viewer(principal: OptionalPrincipal, kernel: KernelDep, session: SessionDep) -> Viewer:
    """The caller of a public route: anonymous, or signed in with their blog grants."""
    return await viewer_for(kernel, principal, session)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
