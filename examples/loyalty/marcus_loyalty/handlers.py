"""Earning points: one subscriber to ``appointments.completed``."""

from __future__ import annotations

from typing import Any

from marcus_appointments.events import Completed
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

import marcus
from marcus_loyalty.models import Account, Entry

NAMESPACE = "/loyalty"


class LoyaltySettings(BaseModel):
    """Per-workspace settings of the plugin."""

    points_per_appointment: int = Field(default=10, ge=0, le=10_000)


async def earn(event: Completed, ctx: marcus.EventContext) -> None:
    """Credit the customer once per appointment, then push the new balance to them live."""
    if event.customer_id is None:
        return
    org, customer = ctx.organization_id, event.customer_id
    tenant = await ctx.kernel.tenants.by_id(org)
    points = LoyaltySettings.model_validate(tenant.plugins.get("loyalty", {})).points_per_appointment
    entry = await ctx.session.execute(
        insert(Entry)
        .values(
            organization_id=org,
            id=marcus.new_id(),
            customer_id=customer,
            appointment_id=event.appointment_id,
            points=points,
        )
        .on_conflict_do_nothing()
        .returning(Entry.id)
    )
    if entry.first() is None:
        return  # this appointment already earned its points
    await ctx.session.execute(
        insert(Account)
        .values(organization_id=org, id=marcus.new_id(), customer_id=customer, points=points)
        .on_conflict_do_update(
            index_elements=["organization_id", "customer_id"], set_={"points": Account.points + points}
        )
    )
    balance = await ctx.session.scalar(
        select(Account.points).where(Account.organization_id == org, Account.customer_id == customer)
    )
    data: dict[str, Any] = {"earned": points, "balance": balance, "appointment": event.number}
    marcus.push_after_commit(
        ctx.session, ctx.kernel, "points:earned", data, rooms=[marcus.user_room(org, customer)], namespace=NAMESPACE
    )


async def dashboard_points(session: Any, tenant: marcus.Tenant, grant: marcus.Grant) -> dict[str, Any]:
    """Customers: their balance; staff: points held by all customers."""
    if grant.scope == "own":
        mine = await session.scalar(
            select(Account.points).where(
                Account.organization_id == tenant.id, Account.customer_id == grant.principal.user_id
            )
        )
        return {"loyalty_points": mine or 0}
    from sqlalchemy import func

    total = await session.scalar(
        select(func.coalesce(func.sum(Account.points), 0)).where(Account.organization_id == tenant.id)
    )
    return {"loyalty_points_outstanding": int(total or 0)}
