"""Dashboard figures: the kernel's own, then every enabled plugin's widgets, one isolated failure
at a time (a broken widget is reported empty and logged, never a 500)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.models import User
from marcus.dashboard.schemas import DashboardRead, WidgetRead
from marcus.declarations import DashboardWidget
from marcus.notifications import service as notifications
from marcus.rbac import Grant
from marcus.tenancy.resolver import Tenant

log = logging.getLogger("marcus.dashboard")
RECENT = 10


async def kernel_stats(session: AsyncSession, grant: Grant, tenant: Tenant) -> dict[str, Any]:
    stats: dict[str, Any] = {"unread_notifications": await notifications.unread_count(session, grant, org_id=tenant.id)}
    if grant.scope == "any":
        stats["users"] = await session.scalar(
            select(func.count()).where(User.organization_id == tenant.id, User.deleted_at.is_(None))
        )
    return stats


async def _widget(widget: DashboardWidget, session: AsyncSession, tenant: Tenant, grant: Grant) -> WidgetRead:
    try:
        data = dict(await widget.loader(session, tenant, grant))
    except Exception:
        log.exception("dashboard widget %s failed", widget.name)
        data = {}
    return WidgetRead(name=widget.name, title=widget.title, data=data)


async def dashboard(
    session: AsyncSession, grant: Grant, *, tenant: Tenant, widgets: dict[str, DashboardWidget]
) -> DashboardRead:
    """The caller's dashboard: stats, widgets of enabled plugins, latest activity and notifications."""
    enabled = [w for name, w in widgets.items() if tenant.has_plugin(name.split(".", 1)[0])]
    loaded = [await _widget(w, session, tenant, grant) for w in enabled]
    stats = await kernel_stats(session, grant, tenant)
    for widget in loaded:
        stats.update(widget.data)
    activities = await notifications.list_activities(
        session, grant, org_id=tenant.id, event=None, entity_id=None, user_id=None, page=1, limit=RECENT
    )
    recent = await notifications.list_notifications(
        session, grant, org_id=tenant.id, event=None, is_read=None, page=1, limit=RECENT
    )
    return DashboardRead.model_validate(
        {
            "stats": stats,
            "widgets": loaded,
            "recent_activities": activities.items,
            "recent_notifications": recent.items,
        },
        from_attributes=True,
    )
