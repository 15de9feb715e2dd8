"""The dashboard: the workspace's figures (customers: their own), every enabled plugin's
widgets, recent activity, and notifications that arrive live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from marcus.dashboard import service
from marcus.portal.shell import PageDep, page_require, render
from marcus.rbac import Grant

router = APIRouter()


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request, page: PageDep, grant: Annotated[Grant, page_require("kernel.dashboard:read")]
) -> HTMLResponse:
    """Figures, recent activity and live notifications."""
    board = await service.dashboard(page.db, grant, tenant=page.workspace, widgets=page.kernel.plugins.widgets)
    return await render(request, "portal/dashboard.html", {"board": board, "staff": grant.scope == "any"})
