"""Dashboard resource."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from marcus.notifications.schemas import ActivityRead, NotificationRead


class WidgetRead(BaseModel):
    name: str
    title: str
    data: dict[str, Any]


class DashboardRead(BaseModel):
    """Figures for the caller's role (customers: their own), recent activity and notifications."""

    stats: dict[str, Any]
    widgets: list[WidgetRead]
    recent_activities: list[ActivityRead]
    recent_notifications: list[NotificationRead]
