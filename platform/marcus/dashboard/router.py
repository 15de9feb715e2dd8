"""``GET /api/v1/dashboard``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from marcus.dashboard import service
from marcus.dashboard.schemas import DashboardRead
from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.rbac import Grant, require

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("", response_model=DashboardRead)
async def get_dashboard(
    grant: Annotated[Grant, require("kernel.dashboard:read")],
    tenant: CurrentTenant,
    session: SessionDep,
    kernel: KernelDep,
) -> DashboardRead:
    """Figures for the caller's role, with the latest activity and notifications."""
    return await service.dashboard(session, grant, tenant=tenant, widgets=kernel.plugins.widgets)
