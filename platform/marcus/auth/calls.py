"""The rate-limited identity flows, as one caller in one workspace runs them.

``AuthCall`` bundles what every sign-in-related route needs (the workspace, its session and
settings, the rate limiter, the caller's address and user agent). Each method counts the
attempt against its rules (``<action>_ip`` for the address, ``<action>_account`` for the
workspace's account) and then runs the identity service, so the API routes, the portal pages
and plugins serving another API (``compat``) share one set of limits and none can forget one.
The service functions stay free of HTTP and of limits, and are tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth import service
from marcus.auth.models import User
from marcus.auth.schemas import RegistrationCreate
from marcus.auth.sessions import IssuedTokens
from marcus.config import Settings
from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.ratelimit import RateLimiter, client_ip
from marcus.tenancy.resolver import Tenant


@dataclass(frozen=True, kw_only=True)
class AuthCall:
    """Registration, codes, sign-in and password reset for one caller, each rate limited first."""

    session: AsyncSession
    settings: Settings
    tenant: Tenant
    limiter: RateLimiter
    ip: str
    user_agent: str | None = None

    @property
    def client(self) -> service.Client:
        """Where the sign-in comes from (stored on the session it opens)."""
        return service.Client(ip=self.ip, user_agent=self.user_agent)

    async def attempt(self, action: str, *, email: str) -> None:
        """Count one ``action`` attempt for this address and this workspace's account ``email``."""
        await self.limiter.check_attempt(action, ip=self.ip, account=f"{self.tenant.id}:{email.lower()}")

    async def register(self, data: RegistrationCreate) -> User:
        """Sign up (``signup_ip``): an unverified customer, emailed a verification code."""
        await self.limiter.check("signup_ip", self.ip)
        return await service.register(self.session, self.settings, tenant=self.tenant, data=data)

    async def verify_registration(self, *, email: str, code: str) -> User:
        """Verify the address with the emailed code (``verify``)."""
        await self.attempt("verify", email=email)
        return await service.verify_registration(
            self.session, self.settings, tenant=self.tenant, email=email, code=code
        )

    async def resend_code(self, *, email: str, purpose: str) -> None:
        """Send a new registration or sign-in code when one is due (``resend``)."""
        await self.attempt("resend", email=email)
        await service.resend_code(self.session, self.settings, tenant=self.tenant, email=email, purpose=purpose)

    async def login(self, *, email: str, password: str) -> IssuedTokens | service.LoginChallenge:
        """Check the password (``login``): tokens, or a challenge when a code was emailed."""
        await self.attempt("login", email=email)
        return await service.login(
            self.session, self.settings, tenant=self.tenant, email=email, password=password, client=self.client
        )

    async def verify_login(self, *, email: str, code: str) -> IssuedTokens:
        """Finish signing in with the emailed code (``verify``)."""
        await self.attempt("verify", email=email)
        return await service.verify_login(
            self.session, self.settings, tenant=self.tenant, email=email, code=code, client=self.client
        )

    async def forgot_password(self, *, email: str) -> None:
        """Email a password-reset code when the account exists (``resend``)."""
        await self.attempt("resend", email=email)
        await service.forgot_password(self.session, self.settings, tenant=self.tenant, email=email)

    async def reset_password(self, *, email: str, code: str, new_password: str) -> None:
        """Set a new password with the emailed code (``verify``); every session ends."""
        await self.attempt("verify", email=email)
        await service.reset_password(
            self.session, self.settings, tenant=self.tenant, email=email, code=code, new_password=new_password
        )


async def get_auth_call(request: Request, session: SessionDep, tenant: CurrentTenant, kernel: KernelDep) -> AuthCall:
    """The identity flows for this request's caller, workspace and session."""
    return AuthCall(
        session=session,
        settings=kernel.settings,
        tenant=tenant,
        limiter=kernel.limiter,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


AuthCallDep = Annotated[AuthCall, Depends(get_auth_call)]
