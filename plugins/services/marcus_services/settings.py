"""Per-workspace settings of the services plugin (``[plugins.services]`` in a tenant manifest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MiB = 1024 * 1024


class ServicesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_max_bytes: int = Field(default=5 * MiB, ge=1024, le=20 * MiB, description="Largest service image accepted")

    @classmethod
    def of(cls, plugins: Mapping[str, Mapping[str, Any]]) -> ServicesSettings:
        """This plugin's settings among a tenant's enabled plugins (validated when stored)."""
        return cls.model_validate(dict(plugins.get("services") or {}))
