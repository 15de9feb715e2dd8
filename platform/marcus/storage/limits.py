"""Upload limits: the platform's ceiling (settings) lowered by the workspace's own settings.

A workspace sets them under ``[settings.uploads]`` of its manifest (or its settings document)::

    [settings.uploads]
    max_bytes = 5242880                           # never above MARCUS_UPLOAD_MAX_BYTES
    types = ["application/pdf", "image/png"]      # a subset of MARCUS_UPLOAD_TYPES
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from marcus.config import Settings
from marcus.storage.sniff import KNOWN_TYPES
from marcus.tenancy.resolver import Tenant

log = logging.getLogger("marcus.storage")
MAX_FILES = 10


class WorkspaceUploads(BaseModel):
    """The ``uploads`` entry of a workspace's settings."""

    model_config = ConfigDict(extra="forbid")

    max_bytes: int | None = Field(default=None, ge=1)
    types: list[str] | None = None


@dataclass(frozen=True, kw_only=True)
class UploadLimits:
    """How large each uploaded file may be and which content types are accepted."""

    max_bytes: int
    types: frozenset[str]

    def narrowed(self, *, max_bytes: int | None = None, types: frozenset[str] | None = None) -> UploadLimits:
        """Tighter limits for one use (an avatar: images only, 2 MiB); never wider."""
        return UploadLimits(
            max_bytes=min(self.max_bytes, max_bytes or self.max_bytes),
            types=self.types & types if types is not None else self.types,
        )


def platform_limits(settings: Settings) -> UploadLimits:
    """The ceiling every workspace lives under."""
    return UploadLimits(max_bytes=settings.upload_max_bytes, types=frozenset(settings.upload_types) & KNOWN_TYPES)


def upload_limits(settings: Settings, tenant: Tenant | None) -> UploadLimits:
    """The limits for ``tenant``: its ``uploads`` settings within the platform's ceiling.

    Settings that do not validate are ignored with a warning (the platform's limits apply).
    """
    ceiling = platform_limits(settings)
    raw = tenant.settings.get("uploads") if tenant is not None else None
    if not raw:
        return ceiling
    try:
        own = WorkspaceUploads.model_validate(raw)
    except ValidationError:
        log.warning("workspace %s has invalid upload settings; using the platform's", tenant and tenant.slug)
        return ceiling
    return ceiling.narrowed(max_bytes=own.max_bytes, types=frozenset(own.types) if own.types is not None else None)
