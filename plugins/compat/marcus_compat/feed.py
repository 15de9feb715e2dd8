"""Activities, notifications, admin notifications and the dashboard (seed §3.6, §3.7; rows 36-39,
56-58) on the kernel's notification and dashboard services.

Event names are shown in the seed's spelling where the seed had an equivalent
(``appointments.booked`` -> ``APPOINTMENT_CREATED``) and as Marcus names otherwise; the ``event``
filter accepts both. ``isRead=false`` means unread (the seed treated it as true, §9.22).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import Field

import marcus
from marcus_compat.envelope import CompatModel, CompatRouter, SeedPage, ok, paginated

router = CompatRouter()
ReadGrant = Annotated[marcus.Grant, marcus.require("kernel.notification:read")]
ActivityGrant = Annotated[marcus.Grant, marcus.require("kernel.activity:read")]
DashboardGrant = Annotated[marcus.Grant, marcus.require("kernel.dashboard:read")]
SendGrant = Annotated[marcus.Grant, marcus.require("kernel.notification:send")]

SEED_EVENTS: dict[str, str] = {
    "appointments.booked": "APPOINTMENT_CREATED",
    "appointments.approved": "APPOINTMENT_STATUS_CHANGED",
    "appointments.cancelled": "APPOINTMENT_STATUS_CHANGED",
    "appointments.completed": "APPOINTMENT_STATUS_CHANGED",
    "appointments.no_show": "APPOINTMENT_STATUS_CHANGED",
    "appointments.rescheduled": "APPOINTMENT_STATUS_CHANGED",
    "documents.uploaded": "DOCUMENT_UPLOADED",
    "documents.approved": "DOCUMENT_APPROVED",
    "invoices.issued": "INVOICE_CREATED",
    "invoices.paid": "INVOICE_PAID",
    "blog.published": "BLOG_CREATED",
    "kernel.announced": "ADMIN_MANUAL",
}
EventQuery = Annotated[str | None, Query(max_length=100, description="APPOINTMENT_CREATED, ... or a Marcus event")]


def seed_event(name: str) -> str:
    """The seed's name of a Marcus event (the Marcus name when the seed had none)."""
    return SEED_EVENTS.get(name, name)


def marcus_events(name: str | None) -> Sequence[str] | None:
    """The Marcus events a seed ``event`` filter stands for."""
    if name is None:
        return None
    return [marcus_name for marcus_name, seed in SEED_EVENTS.items() if seed == name] or [name]


def _bool(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise marcus.Invalid(
        f"{name} must be true or false", code="validation_error", errors=[{"field": name, "message": "true or false"}]
    )


def notification(row: Any) -> dict[str, Any]:
    """The seed's notification row."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "event": seed_event(row.event),
        "title": row.title,
        "message": row.message,
        "is_admin_read": row.is_admin_read,
        "is_customer_read": row.is_customer_read,
        "metadata": dict(row.metadata),
        "created_at": row.created_at,
    }


def activity(row: Any) -> dict[str, Any]:
    """The seed's activity row (``type`` and ``description`` from the notice)."""
    return {
        "id": row.id,
        "event": seed_event(row.event),
        "entity_id": row.entity_id,
        "actor_id": row.actor_id,
        "user_id": row.user_id,
        "type": row.type,
        "description": row.description,
        "metadata": dict(row.metadata),
        "created_at": row.created_at,
    }


def _read(row: Any) -> Any:
    return marcus.notifications_schemas.NotificationRead.model_validate(row)


def _activity_read(row: Any) -> Any:
    return marcus.notifications_schemas.ActivityRead.model_validate(row)


@router.get("/activities", summary="Activity feed")
async def list_activities(
    grant: ActivityGrant,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    paging: SeedPage,
    event: EventQuery = None,
    entity_id: Annotated[uuid.UUID | None, Query(alias="entityId")] = None,
) -> JSONResponse:
    """The activity feed (customers: their own; admins: the workspace's), newest first."""
    page = await marcus.notifications_service.list_activities(
        session,
        grant,
        org_id=tenant.id,
        event=marcus_events(event),
        entity_id=entity_id,
        user_id=None,
        page=paging.page,
        limit=paging.limit,
    )
    items = [activity(_activity_read(row)) for row in page.items]
    return paginated(
        items, page=paging.page, limit=paging.limit, total=page.total, message="Activities fetched successfully"
    )


@router.get("/notifications", summary="Notifications")
async def list_notifications(
    grant: ReadGrant,
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    paging: SeedPage,
    event: EventQuery = None,
    is_read: Annotated[str | None, Query(alias="isRead", description="true or false")] = None,
) -> JSONResponse:
    """Notifications (customers: their own; admins: the workspace's), newest first."""
    page = await marcus.notifications_service.list_notifications(
        session,
        grant,
        org_id=tenant.id,
        event=marcus_events(event),
        is_read=_bool(is_read, "isRead"),
        page=paging.page,
        limit=paging.limit,
    )
    items = [notification(_read(row)) for row in page.items]
    return paginated(
        items, page=paging.page, limit=paging.limit, total=page.total, message="Notifications fetched successfully"
    )


@router.patch("/notifications/read-all", summary="Mark every notification read")
async def read_all(grant: ReadGrant, tenant: marcus.CurrentTenant, session: marcus.SessionDep) -> JSONResponse:
    """Mark the caller's unread notifications read (admins: the shared admin flag)."""
    updated = await marcus.notifications_service.mark_all_read(session, grant, org_id=tenant.id)
    if not updated:
        return ok(None, "No unread notifications found")
    return ok({"updated": updated}, "Notifications marked as read")


@router.patch("/notifications/{notification_id}/read", summary="Mark one notification read")
async def read_one(
    notification_id: uuid.UUID, grant: ReadGrant, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> JSONResponse:
    """Mark one notification read (idempotent); 404 for one the caller may not see."""
    row = await marcus.notifications_service.mark_read(
        session, grant, org_id=tenant.id, notification_id=notification_id
    )
    return ok(notification(_read(row)), "Notification marked as read")


class AdminNotificationIn(CompatModel):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    message: Annotated[str, Field(min_length=1, max_length=5000)]
    user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    broadcast: bool = Field(default=False, strict=True)
    metadata: dict[str, Any] = Field(default_factory=dict)


@router.post("/admin/notifications", status_code=status.HTTP_201_CREATED, summary="Send a notification (admin)")
async def send_admin_notification(
    body: AdminNotificationIn, grant: SendGrant, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> JSONResponse:
    """Notify chosen users, or broadcast to every active user of the workspace."""
    data = marcus.notifications_schemas.NotificationSend.model_validate(body.model_dump())
    event_id, recipients = await marcus.notifications_service.send(session, grant, org_id=tenant.id, body=data)
    return ok({"event_id": event_id, "recipients": recipients}, "Admin notification queued successfully", 201)


async def _dashboard(request: Request, grant: marcus.Grant, tenant: marcus.Tenant, session: Any) -> JSONResponse:
    kernel: marcus.Kernel = request.app.state.kernel
    board = await marcus.dashboard_service.dashboard(session, grant, tenant=tenant, widgets=kernel.plugins.widgets)
    data = {
        "stats": board.stats,
        "widgets": [w.model_dump() for w in board.widgets],
        "recent_activities": [activity(a) for a in board.recent_activities],
        "recent_notifications": [notification(n) for n in board.recent_notifications],
    }
    return ok(data, "Dashboard stats fetched successfully")


@router.get("/dashboard", summary="Dashboard (same as /dashboard/stats)")
async def dashboard(
    request: Request, grant: DashboardGrant, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> JSONResponse:
    """Figures for the caller's role, with the latest activity and notifications."""
    return await _dashboard(request, grant, tenant, session)


@router.get("/dashboard/stats", summary="Dashboard figures")
async def dashboard_stats(
    request: Request, grant: DashboardGrant, tenant: marcus.CurrentTenant, session: marcus.SessionDep
) -> JSONResponse:
    """Figures for the caller's role, with the latest activity and notifications."""
    return await _dashboard(request, grant, tenant, session)
