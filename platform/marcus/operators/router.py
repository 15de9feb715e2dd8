"""``/api/v1/platform``: operator login and workspace administration (list, suspend, resume)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from marcus.auth.tokens import issue_platform_token
from marcus.deps import KernelDep
from marcus.onboarding.schemas import OrganizationRead
from marcus.operators import service
from marcus.operators.deps import CurrentOperator, PlatformSessionDep
from marcus.operators.schemas import OperatorLoginCreate, OrganizationPage, PlatformTokenRead
from marcus.pagination import Page, PageQuery
from marcus.ratelimit import RateLimiterDep, client_ip
from marcus.tenancy.models import ACTIVE, SUSPENDED, Organization

router = APIRouter(prefix="/platform", tags=["platform"])


@router.post("/auth/login", response_model=PlatformTokenRead)
async def operator_login(
    body: OperatorLoginCreate, request: Request, session: PlatformSessionDep, kernel: KernelDep, limiter: RateLimiterDep
) -> PlatformTokenRead:
    """Sign in as a platform operator."""
    await limiter.check("operator_login_ip", client_ip(request))
    operator = await service.authenticate(session, kernel.settings, email=body.email, password=body.password)
    token = issue_platform_token(kernel.settings, operator_id=operator.id)
    return PlatformTokenRead(access_token=token, expires_in=kernel.settings.access_token_ttl)


@router.get("/organizations", response_model=OrganizationPage)
async def list_organizations(
    _: CurrentOperator,
    session: PlatformSessionDep,
    paging: PageQuery,
    status: Literal["active", "suspended"] | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[Organization]:
    """List every workspace (filter by status, search slug and name)."""
    return await service.list_organizations(session, status=status, q=q, page=paging.page, limit=paging.limit)


@router.post("/organizations/{org_id}/suspend", response_model=OrganizationRead)
async def suspend_organization(
    org_id: uuid.UUID, _: CurrentOperator, session: PlatformSessionDep, kernel: KernelDep
) -> Organization:
    """Suspend a workspace: its API answers 404 until it is resumed."""
    org = await service.change_status(session, org_id=org_id, status=SUSPENDED)
    kernel.tenants.invalidate()
    return org


@router.post("/organizations/{org_id}/resume", response_model=OrganizationRead)
async def resume_organization(
    org_id: uuid.UUID, _: CurrentOperator, session: PlatformSessionDep, kernel: KernelDep
) -> Organization:
    """Resume a suspended workspace."""
    org = await service.change_status(session, org_id=org_id, status=ACTIVE)
    kernel.tenants.invalidate()
    return org
