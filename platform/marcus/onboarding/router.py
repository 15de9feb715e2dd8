"""``POST /api/v1/organizations``: public self-serve signup (not bound to any tenant)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from marcus.auth.schemas import UserRead
from marcus.deps import KernelDep
from marcus.onboarding.schemas import OrganizationCreate, OrganizationRead, OrganizationSignupRead
from marcus.onboarding.service import OWNER, sign_up
from marcus.ratelimit import RateLimiterDep, client_ip

router = APIRouter(prefix="/organizations", tags=["onboarding"])


@router.post("", response_model=OrganizationSignupRead, status_code=status.HTTP_201_CREATED)
async def create_organization(
    body: OrganizationCreate, request: Request, kernel: KernelDep, limiter: RateLimiterDep
) -> OrganizationSignupRead:
    """Sign up a new workspace and its owner; the owner verifies the emailed code next."""
    await limiter.check("signup_ip", client_ip(request))
    org, owner = await sign_up(kernel.db, kernel.plugins, kernel.settings, data=body)
    kernel.tenants.invalidate()
    return OrganizationSignupRead(
        organization=OrganizationRead.model_validate(org), owner=UserRead.of(owner, roles=[OWNER])
    )
