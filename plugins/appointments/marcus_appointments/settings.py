"""Per-workspace settings of the appointments plugin (``[plugins.appointments]`` in a tenant
manifest, or ``PATCH /api/v1/settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AppointmentsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cancellation_cutoff_hours: int = Field(
        default=0,
        ge=0,
        le=24 * 30,
        description="Customers may not cancel later than this before the start (0: any time)",
    )
    approval_required: bool = Field(
        default=False, description="New bookings wait as Pending until staff approve them (they hold the seat)"
    )
    min_notice_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30, description="Earliest booking before a start")
    max_days_ahead: int = Field(default=365, ge=1, le=3660, description="Latest start a customer may book, in days")

    @classmethod
    def of(cls, plugins: Mapping[str, Mapping[str, Any]]) -> AppointmentsSettings:
        """This plugin's settings among a tenant's enabled plugins (validated when stored)."""
        return cls.model_validate(dict(plugins.get("appointments") or {}))
