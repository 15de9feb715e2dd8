"""Who is looking at a page: the browser session read from its cookies.

The access cookie holds the API's own access token and is checked exactly as a bearer token
is (``verify_token``: signature, workspace, session not revoked, user active). When it has
expired the refresh cookie is exchanged through the API's own rotation (single use, reuse
revokes the family) and the new pair goes back in the response's cookies, so a signed-in
person stays signed in without noticing. A browser often sends a few requests at once with
the same expired pair; the first one rotates and the others, arriving within a few seconds,
get the pair it issued instead of tripping reuse detection (``RefreshGrace``).

A token of another workspace is simply not a session here: the visitor is anonymous.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from marcus.auth.deps import verify_token
from marcus.auth.principal import Principal
from marcus.auth.sessions import IssuedTokens, rotate
from marcus.auth.tokens import AccessClaims, digest
from marcus.config import Settings
from marcus.declarations import Scope
from marcus.errors import Unauthorized
from marcus.kernel import Kernel
from marcus.logs import user_var
from marcus.portal import cookies, csrf
from marcus.rbac import Grant
from marcus.tenancy.resolver import Tenant

GRACE_SECONDS = 20.0
GRACE_MAX = 10_000


@dataclass
class Visitor:
    """The person behind a page request: ``principal`` None when nobody is signed in.

    ``grant(permission)`` answers from the kernel's authorization (roles in the database,
    never the token), caching each answer for the request.
    """

    kernel: Kernel
    principal: Principal | None = None
    #: The request's session (bound to the workspace): a stale policy reloads on it rather than
    #: on a second pooled connection. None where the request's session is gone (error pages).
    session: AsyncSession | None = field(default=None, repr=False)
    _scopes: dict[str, Scope | None] = field(default_factory=dict, repr=False)

    @property
    def signed_in(self) -> bool:
        return self.principal is not None

    async def grant(self, permission: str) -> Grant | None:
        """The caller's ``Grant`` for ``permission``, or None (anonymous or not held)."""
        if self.principal is None:
            return None
        if permission not in self._scopes:
            self._scopes[permission] = await self.kernel.rbac.check(
                self.principal.org_id, self.principal.user_id, permission, session=self.session
            )
        scope = self._scopes[permission]
        return Grant(principal=self.principal, permission=permission, scope=scope) if scope else None

    async def can(self, permission: str | None) -> bool:
        """True when ``permission`` is None (everyone) or held."""
        return permission is None or await self.grant(permission) is not None


class RefreshGrace:
    """Pairs issued for a refresh token in the last few seconds, by that token's digest."""

    def __init__(self, seconds: float = GRACE_SECONDS) -> None:
        self.seconds = seconds
        self._issued: dict[str, tuple[float, IssuedTokens]] = {}

    def get(self, refresh_token: str) -> IssuedTokens | None:
        hit = self._issued.get(digest(refresh_token))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, refresh_token: str, tokens: IssuedTokens) -> None:
        now = time.monotonic()
        if len(self._issued) >= GRACE_MAX:
            self._issued = {k: v for k, v in self._issued.items() if v[0] > now}
        self._issued[digest(refresh_token)] = (now + self.seconds, tokens)


def set_session(request: Request, settings: Settings, tokens: IssuedTokens) -> None:
    """Put a token pair in the response's cookies (sign-in and refresh)."""
    state = request.scope.setdefault("state", {})
    cookies.queue(state, cookies.header(settings, cookies.ACCESS, tokens.access_token, max_age=tokens.expires_in))
    refresh = cookies.header(settings, cookies.REFRESH, tokens.refresh_token, max_age=settings.refresh_token_ttl)
    cookies.queue(state, refresh)


def clear_session(request: Request, settings: Settings) -> None:
    """Delete the session cookies from the browser."""
    state = request.scope.setdefault("state", {})
    for base in (cookies.ACCESS, cookies.REFRESH):
        cookies.queue(state, cookies.header(settings, base, "", max_age=0))


async def resolve(
    request: Request, kernel: Kernel, tenant: Tenant, session: AsyncSession, grace: RefreshGrace
) -> Visitor:
    """The visitor of this request, refreshing an expired session on the way."""
    settings = kernel.settings
    claims = await _from_access(request, settings, tenant, session)
    if claims is None and (refresh := cookies.read(settings, request.cookies, cookies.REFRESH)):
        claims = await _from_refresh(request, settings, tenant, session, grace, refresh)
    if claims is None:
        return Visitor(kernel=kernel)
    user_var.set(str(claims.user_id))
    principal = Principal(
        user_id=claims.user_id, org_id=claims.org_id, email=claims.email, session_id=claims.session_id
    )
    return Visitor(kernel=kernel, principal=principal, session=session)


async def _from_access(
    request: Request, settings: Settings, tenant: Tenant, session: AsyncSession
) -> AccessClaims | None:
    token = cookies.read(settings, request.cookies, cookies.ACCESS)
    if not token:
        return None
    try:
        return await verify_token(session, settings, token=token, tenant=tenant)
    except Unauthorized:
        return None


async def _from_refresh(
    request: Request, settings: Settings, tenant: Tenant, session: AsyncSession, grace: RefreshGrace, refresh: str
) -> AccessClaims | None:
    tokens = grace.get(refresh)
    try:
        if tokens is None:
            tokens = await rotate(session, settings, org_id=tenant.id, refresh_token=refresh)
            grace.put(refresh, tokens)
        claims = await verify_token(session, settings, token=tokens.access_token, tenant=tenant)
    except Unauthorized:
        clear_session(request, settings)
        return None
    set_session(request, settings, tokens)
    return claims


def sign_in(request: Request, settings: Settings, tokens: IssuedTokens) -> None:
    """After a successful sign-in: the session cookies and a fresh CSRF nonce."""
    set_session(request, settings, tokens)
    csrf.renew(request, settings)


def sign_out(request: Request, settings: Settings) -> None:
    """After sign-out: no session cookies and a fresh CSRF nonce."""
    clear_session(request, settings)
    csrf.renew(request, settings)
