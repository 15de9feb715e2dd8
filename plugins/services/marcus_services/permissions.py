"""The catalogue's permissions. Reading is public (no permission); writing is for owners and
admins by default (a workspace may grant it to staff with a custom role)."""

from __future__ import annotations

import marcus

SERVICE_WRITE = "services.service:write"
CATEGORY_WRITE = "services.category:write"

PERMISSIONS: tuple[marcus.Permission, ...] = (
    marcus.Permission(
        name=SERVICE_WRITE, description="Create, change, archive and delete services, and see inactive ones"
    ),
    marcus.Permission(name=CATEGORY_WRITE, description="Create, rename and delete service categories"),
)
