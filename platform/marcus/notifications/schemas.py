"""Notification and activity resources of the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class NotificationRead(BaseModel):
    """A notification; ``is_read`` is the caller's view (customer or staff flag)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    event: str
    title: str
    message: str
    metadata: dict[str, Any] = Field(validation_alias="data")
    is_customer_read: bool
    is_admin_read: bool
    created_at: datetime


class NotificationSend(BaseModel):
    """A manual notification from staff: to chosen users, or broadcast to every active user."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=5000)
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    broadcast: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _targets(self) -> NotificationSend:
        if not self.broadcast and not self.user_ids:
            raise ValueError("user_ids must name at least one user unless broadcast is true")
        return self


class NotificationQueued(BaseModel):
    event_id: uuid.UUID
    recipients: int


class UnreadCount(BaseModel):
    unread: int


class Updated(BaseModel):
    updated: int


class PreferenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event: str
    in_app: bool
    email: bool


class PreferenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    in_app: bool
    email: bool


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event: str
    type: str
    description: str
    entity_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    user_id: uuid.UUID | None
    metadata: dict[str, Any] = Field(validation_alias="data")
    created_at: datetime
