"""Reading, marking and sending notifications; the activity feed; per-event preferences.

The caller's ``Grant`` decides the view: scope ``own`` is a customer (own rows, customer read
flag), scope ``any`` is staff (every row of the workspace, the shared admin read flag).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.errors import Invalid, NotFound
from marcus.events.bus import publish
from marcus.notifications.handlers import Announced, active_user_ids
from marcus.notifications.models import Activity, Notification, NotificationPreference
from marcus.notifications.schemas import NotificationSend
from marcus.pagination import Page, paginate
from marcus.rbac import Grant


def _names(event: str | Sequence[str]) -> list[str]:
    return [event] if isinstance(event, str) else list(event)


def _read_flag(grant: Grant) -> Any:
    return Notification.is_admin_read if grant.scope == "any" else Notification.is_customer_read


def _visible(grant: Grant, org_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [Notification.organization_id == org_id, grant.owner_filter(Notification.user_id)]


async def list_notifications(
    session: AsyncSession,
    grant: Grant,
    *,
    org_id: uuid.UUID,
    event: str | Sequence[str] | None,
    is_read: bool | None,
    page: int,
    limit: int,
) -> Page[Notification]:
    """Newest first, filtered by event (one name or several) and by the caller's read flag."""
    query: Select[Notification] = select(Notification).where(*_visible(grant, org_id))
    if event is not None:
        query = query.where(Notification.event.in_(_names(event)))
    if is_read is not None:
        query = query.where(_read_flag(grant).is_(is_read))
    return await paginate(session, query.order_by(Notification.id.desc()), page=page, limit=limit)


async def unread_count(session: AsyncSession, grant: Grant, *, org_id: uuid.UUID) -> int:
    query = select(func.count()).where(*_visible(grant, org_id), _read_flag(grant).is_(False))
    return int(await session.scalar(query) or 0)


async def mark_read(
    session: AsyncSession, grant: Grant, *, org_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    """Mark one notification read for the caller's kind (idempotent); 404 if not visible."""
    note = await session.scalar(
        select(Notification).where(*_visible(grant, org_id), Notification.id == notification_id)
    )
    if note is None:
        raise NotFound("No such notification.")
    if grant.scope == "any":
        note.is_admin_read = True
    else:
        note.is_customer_read = True
    await session.commit()
    return note


async def mark_all_read(session: AsyncSession, grant: Grant, *, org_id: uuid.UUID) -> int:
    flag = _read_flag(grant)
    result = await session.execute(
        update(Notification).where(*_visible(grant, org_id), flag.is_(False)).values({flag.key: True})
    )
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def send(
    session: AsyncSession, grant: Grant, *, org_id: uuid.UUID, body: NotificationSend
) -> tuple[uuid.UUID, int]:
    """Queue a manual notification; unknown or inactive user ids are refused, naming them."""
    active = set(await active_user_ids(session, org_id))
    if not body.broadcast:
        unknown = [str(uid) for uid in body.user_ids if uid not in active]
        if unknown:
            raise Invalid(
                f"No active user with id {', '.join(unknown)} in this workspace.",
                code="unknown_users",
                errors=[{"field": "body.user_ids", "message": f"unknown or inactive: {', '.join(unknown)}"}],
            )
    event = Announced(
        title=body.title, message=body.message, user_ids=body.user_ids, broadcast=body.broadcast, metadata=body.metadata
    )
    event_id = await publish(session, event, actor_id=grant.principal.user_id)
    await session.commit()
    return event_id, len(active) if body.broadcast else len(set(body.user_ids))


async def list_preferences(
    session: AsyncSession, *, org_id: uuid.UUID, events: list[str]
) -> list[NotificationPreference]:
    """Every notifying event with the workspace's channels (defaults where unset)."""
    stored = {
        p.event: p
        for p in await session.scalars(
            select(NotificationPreference).where(NotificationPreference.organization_id == org_id)
        )
    }
    return [stored.get(name) or NotificationPreference(event=name, in_app=True, email=False) for name in sorted(events)]


async def set_preference(
    session: AsyncSession, *, org_id: uuid.UUID, event: str, in_app: bool, email: bool, events: list[str]
) -> NotificationPreference:
    if event not in events:
        raise NotFound(f"No notifying event named '{event}'.", code="unknown_event")
    pref = await session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.organization_id == org_id, NotificationPreference.event == event
        )
    )
    if pref is None:
        pref = NotificationPreference(event=event)
        session.add(pref)
    pref.in_app, pref.email = in_app, email
    await session.commit()
    return pref


async def list_activities(
    session: AsyncSession,
    grant: Grant,
    *,
    org_id: uuid.UUID,
    event: str | Sequence[str] | None,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    page: int,
    limit: int,
) -> Page[Activity]:
    """Newest first; customers see their own feed, staff the workspace's."""
    query: Select[Activity] = select(Activity).where(
        Activity.organization_id == org_id, grant.owner_filter(Activity.user_id)
    )
    if event is not None:
        query = query.where(Activity.event.in_(_names(event)))
    for column, value in ((Activity.entity_id, entity_id), (Activity.user_id, user_id)):
        if value is not None:
            query = query.where(column == value)
    return await paginate(session, query.order_by(Activity.id.desc()), page=page, limit=limit)
