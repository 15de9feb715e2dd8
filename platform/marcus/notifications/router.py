"""``/api/v1/notifications`` and ``/api/v1/activities``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.notifications import service
from marcus.notifications.models import Activity, Notification, NotificationPreference
from marcus.notifications.schemas import (
    ActivityRead,
    NotificationQueued,
    NotificationRead,
    NotificationSend,
    PreferenceRead,
    PreferenceUpdate,
    UnreadCount,
    Updated,
)
from marcus.pagination import Page, PageQuery
from marcus.rbac import Grant, require

notifications = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
activities = APIRouter(prefix="/api/v1/activities", tags=["activity"])

ReadGrant = Annotated[Grant, require("kernel.notification:read")]
EventFilter = Annotated[str | None, Query(max_length=100, description="Only this event, e.g. appointments.booked")]


def _notifying_events(kernel: KernelDep) -> list[str]:
    return [name for name, cls in kernel.events.types.items() if cls.notice is not None] + ["kernel.announced"]


@notifications.get("", response_model=Page[NotificationRead])
async def list_notifications(
    grant: ReadGrant,
    tenant: CurrentTenant,
    session: SessionDep,
    paging: PageQuery,
    event: EventFilter = None,
    is_read: Annotated[bool | None, Query(description="true or false")] = None,
) -> Page[Notification]:
    """List notifications (customers: their own; staff: the workspace's), newest first."""
    return await service.list_notifications(
        session, grant, org_id=tenant.id, event=event, is_read=is_read, page=paging.page, limit=paging.limit
    )


@notifications.get("/unread-count", response_model=UnreadCount)
async def get_unread_count(grant: ReadGrant, tenant: CurrentTenant, session: SessionDep) -> UnreadCount:
    """Count the caller's unread notifications."""
    return UnreadCount(unread=await service.unread_count(session, grant, org_id=tenant.id))


@notifications.post("/{notification_id}/read", response_model=NotificationRead)
async def mark_notification_read(
    notification_id: uuid.UUID, grant: ReadGrant, tenant: CurrentTenant, session: SessionDep
) -> Notification:
    """Mark one notification read (idempotent)."""
    return await service.mark_read(session, grant, org_id=tenant.id, notification_id=notification_id)


@notifications.post("/read-all", response_model=Updated)
async def mark_all_notifications_read(grant: ReadGrant, tenant: CurrentTenant, session: SessionDep) -> Updated:
    """Mark every unread notification of the caller read."""
    return Updated(updated=await service.mark_all_read(session, grant, org_id=tenant.id))


@notifications.post("/send", response_model=NotificationQueued, status_code=202)
async def send_notification(
    body: NotificationSend,
    grant: Annotated[Grant, require("kernel.notification:send")],
    tenant: CurrentTenant,
    session: SessionDep,
) -> NotificationQueued:
    """Send a notification to chosen users, or broadcast it to every active user."""
    event_id, recipients = await service.send(session, grant, org_id=tenant.id, body=body)
    return NotificationQueued(event_id=event_id, recipients=recipients)


@notifications.get("/preferences", response_model=list[PreferenceRead])
async def list_notification_preferences(
    _: Annotated[Grant, require("kernel.settings:manage")],
    tenant: CurrentTenant,
    session: SessionDep,
    kernel: KernelDep,
) -> list[NotificationPreference]:
    """List, per notifying event, whether it notifies in the app and by email."""
    return await service.list_preferences(session, org_id=tenant.id, events=_notifying_events(kernel))


@notifications.put("/preferences/{event}", response_model=PreferenceRead)
async def update_notification_preference(
    event: str,
    body: PreferenceUpdate,
    _: Annotated[Grant, require("kernel.settings:manage")],
    tenant: CurrentTenant,
    session: SessionDep,
    kernel: KernelDep,
) -> NotificationPreference:
    """Choose the channels of one event for this workspace."""
    return await service.set_preference(
        session, org_id=tenant.id, event=event, in_app=body.in_app, email=body.email, events=_notifying_events(kernel)
    )


@activities.get("", response_model=Page[ActivityRead])
async def list_activities(
    grant: Annotated[Grant, require("kernel.activity:read")],
    tenant: CurrentTenant,
    session: SessionDep,
    paging: PageQuery,
    event: EventFilter = None,
    entity_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> Page[Activity]:
    """List the activity feed (customers: their own; staff: the workspace's), newest first."""
    return await service.list_activities(
        session,
        grant,
        org_id=tenant.id,
        event=event,
        entity_id=entity_id,
        user_id=user_id,
        page=paging.page,
        limit=paging.limit,
    )
