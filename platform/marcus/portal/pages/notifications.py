"""Notifications: the list (customers their own, staff the workspace's), marking read, and the
unread count the live badge re-reads after reconnecting."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from marcus.notifications import service
from marcus.portal.shell import PageDep, page_require, redirect, render
from marcus.rbac import Grant

router = APIRouter()
CanRead = Annotated[Grant, page_require("kernel.notification:read")]
PER_PAGE = 20


@router.get("/notifications", response_class=HTMLResponse)
async def list_notifications(
    request: Request,
    page: PageDep,
    grant: CanRead,
    number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    unread: bool = False,
) -> HTMLResponse:
    """Your notifications, newest first (only the unread ones on request)."""
    found = await service.list_notifications(
        page.db,
        grant,
        org_id=page.workspace.id,
        event=None,
        is_read=False if unread else None,
        page=number,
        limit=PER_PAGE,
    )
    values = {"notifications": found, "staff": grant.scope == "any", "only_unread": unread}
    return await render(request, "portal/notifications.html", values)


@router.get("/notifications/unread.json")
async def unread_count(page: PageDep, grant: CanRead) -> JSONResponse:
    """The unread count (read by the live badge; also renews an expiring session)."""
    return JSONResponse({"unread": await service.unread_count(page.db, grant, org_id=page.workspace.id)})


@router.post("/notifications/read-all")
async def read_all(request: Request, page: PageDep, grant: CanRead) -> Response:
    """Mark every notification read."""
    count = await service.mark_all_read(page.db, grant, org_id=page.workspace.id)
    return redirect(request, "/notifications", notice=f"{count} notification(s) marked read.")


@router.post("/notifications/{notification_id}/read")
async def read_one(request: Request, notification_id: uuid.UUID, page: PageDep, grant: CanRead) -> Response:
    """Mark one notification read."""
    await service.mark_read(page.db, grant, org_id=page.workspace.id, notification_id=notification_id)
    return redirect(request, "/notifications")
