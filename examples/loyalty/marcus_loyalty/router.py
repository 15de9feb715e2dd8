"""``/api/v1/loyalty``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

import marcus
from marcus_loyalty.models import Account

router = APIRouter(tags=["loyalty"])


class BalanceRead(BaseModel):
    customer_id: uuid.UUID
    points: int


@router.get("/balance", response_model=BalanceRead)
async def get_balance(
    grant: Annotated[marcus.Grant, marcus.require("loyalty.balance:read")],
    tenant: marcus.CurrentTenant,
    session: marcus.SessionDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Staff only: whose balance")] = None,
) -> BalanceRead:
    """Read a loyalty balance (customers: their own)."""
    who = customer_id or grant.principal.user_id
    if not grant.covers(who):
        raise marcus.NotFound("No such customer.")
    points = await session.scalar(
        select(Account.points).where(Account.organization_id == tenant.id, Account.customer_id == who)
    )
    return BalanceRead(customer_id=who, points=points or 0)
