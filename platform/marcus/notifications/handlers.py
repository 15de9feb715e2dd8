"""The kernel's subscriber: every event with a ``Notice`` becomes activity rows and
notifications (per the workspace's preferences), pushed live after the handler commits.

Recipients follow the seed (seed-api §4.6): the event's customer, or every active user of
the workspace for a broadcast. Staff see every notification through their role rooms and the
admin list, so they get no rows of their own for customers' events.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.models import User
from marcus.db.base import new_id
from marcus.declarations import EventHandler
from marcus.events.model import Event, EventContext
from marcus.notifications.models import Activity, Notification, NotificationPreference
from marcus.notifications.schemas import NotificationRead
from marcus.realtime.hub import role_room, user_room
from marcus.realtime.push import after_commit

STAFF_ROOMS = ("owner", "admin", "staff")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with ``{field}`` replaced from the payload; unknown fields stay as written."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format_map({n: values.get(n, "{" + n + "}") for n in names}) if names else template


async def active_user_ids(session: AsyncSession, org_id: uuid.UUID) -> list[uuid.UUID]:
    """Verified users who are neither blocked nor deleted."""
    query = select(User.id).where(
        User.organization_id == org_id, User.is_verified, User.is_blocked.is_(False), User.deleted_at.is_(None)
    )
    return list(await session.scalars(query))


async def channels(session: AsyncSession, org_id: uuid.UUID, event: str) -> tuple[bool, bool]:
    """(in-app, email) for ``event`` in this workspace."""
    pref = await session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.organization_id == org_id, NotificationPreference.event == event
        )
    )
    return (pref.in_app, pref.email) if pref else (True, False)


async def record(
    ctx: EventContext,
    *,
    event: str,
    kind: str,
    title: str,
    message: str,
    payload: Mapping[str, Any],
    targets: Sequence[uuid.UUID],
    entity_id: uuid.UUID | None,
    everyone: bool = False,
    notify: bool = True,
) -> list[Notification]:
    """Write the activity and the notifications of one event; push them after commit.

    ``everyone`` marks a broadcast: one activity for the whole workspace (``user_id`` NULL).
    """
    session, org = ctx.session, ctx.organization_id
    data = {**payload, "type": kind, "description": message}
    owners: Sequence[uuid.UUID | None] = [None] if everyone or not targets else targets
    session.add_all(
        Activity(
            organization_id=org,
            id=new_id(),
            event=event,
            event_id=ctx.event_id,
            type=kind,
            description=message,
            entity_id=entity_id,
            actor_id=ctx.actor_id,
            user_id=owner,
            data=data,
        )
        for owner in owners
    )
    in_app, email = await channels(session, org, event)
    if not (notify and in_app and targets):
        return []
    rows = [
        {
            "organization_id": org,
            "id": new_id(),
            "user_id": uid,
            "event": event,
            "event_id": ctx.event_id,
            "title": title,
            "message": message,
            "data": data,
        }
        for uid in targets
    ]
    inserted = list(
        await session.scalars(insert(Notification).values(rows).on_conflict_do_nothing().returning(Notification))
    )
    if email:
        await _email(ctx, inserted)
    _push_after_commit(ctx, inserted)
    return inserted


async def _email(ctx: EventContext, notifications: Sequence[Notification]) -> None:
    from marcus.mail.service import send_mail

    tenant = await ctx.kernel.tenants.by_id(ctx.organization_id)
    ids = [n.user_id for n in notifications]
    rows = await ctx.session.execute(
        select(User.id, User.email).where(User.organization_id == ctx.organization_id, User.id.in_(ids))
    )
    emails: dict[uuid.UUID, str] = {row[0]: row[1] for row in rows}
    for note in notifications:
        context = {"title": note.title, "message": note.message}
        await send_mail(ctx.session, to=emails[note.user_id], template="notification", context=context, tenant=tenant)


def _push_after_commit(ctx: EventContext, notifications: Sequence[Notification]) -> None:
    hub, org = ctx.kernel.hub, ctx.organization_id
    frames = [(NotificationRead.model_validate(n).model_dump(mode="json"), n.user_id) for n in notifications]
    staff = [role_room(org, role) for role in STAFF_ROOMS]

    async def push() -> None:
        for data, uid in frames:
            await hub.emit("notification:new", data, [user_room(org, uid), *staff])

    after_commit(ctx.session, push)


async def on_event(event: Event, ctx: EventContext) -> None:
    """Kernel subscriber for every event: activity + notifications from the event's ``Notice``."""
    notice = type(event).notice
    if notice is None:
        return
    payload = event.model_dump(mode="json")
    targets = (
        await active_user_ids(ctx.session, ctx.organization_id)
        if notice.broadcast
        else ([event.customer_id] if event.customer_id else [])
    )
    await record(
        ctx,
        event=event.name,
        kind=notice.type,
        title=fill(notice.title, payload),
        message=fill(notice.message, payload),
        payload=payload,
        targets=targets,
        entity_id=event.entity_id,
        everyone=notice.broadcast,
        notify=notice.notify,
    )


class Announced(Event):
    """Staff sent a notification by hand (the seed's ADMIN_MANUAL)."""

    name = "kernel.announced"
    title: str
    message: str
    user_ids: list[uuid.UUID] = []
    broadcast: bool = False
    metadata: dict[str, Any] = {}


async def on_announced(event: Announced, ctx: EventContext) -> None:
    """Deliver a manual notification to its users, or to every active user."""
    targets = await active_user_ids(ctx.session, ctx.organization_id)
    if not event.broadcast:
        wanted = set(event.user_ids)
        targets = [uid for uid in targets if uid in wanted]
    await record(
        ctx,
        event=event.name,
        kind="Admin",
        title=event.title,
        message=event.message,
        payload=event.metadata,
        targets=targets,
        entity_id=ctx.event_id,
        everyone=event.broadcast,
    )


KERNEL_EVENTS: tuple[type[Event], ...] = (Announced,)


def kernel_handlers(types: Mapping[str, type[Event]]) -> list[EventHandler]:
    """The kernel's subscriptions: ``on_event`` for each event type with a ``Notice`` (no
    delivery work for the others), and manual announcements."""
    noticed = [EventHandler(event=name, handler=on_event) for name, cls in types.items() if cls.notice is not None]
    return [*noticed, EventHandler(event=Announced.name, handler=on_announced)]
