"""Authentication dependencies: who is calling.

``get_principal`` verifies the bearer access token (HS256 only, audience ``marcus:tenant``,
not expired), refuses a token of another workspace, then checks in ONE indexed statement that
the user is verified, not blocked, not deleted and that the token's session is not revoked
or expired, so blocking, deleting, logging out and password changes take effect at once.
That statement (``marcus_session_email``) also binds the request's tenant, so an authenticated
request pays no separate round trip for the binding (docs/decisions.md §23).
``CurrentPrincipal`` is its ``Annotated`` alias. ``authenticate_token`` does the same for
Socket.IO / WebSocket connections, which have no request session.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.principal import Principal
from marcus.auth.tokens import AccessClaims, decode_access_token
from marcus.config import Settings
from marcus.db.engine import bound_by_first_statement, fetch_dicts
from marcus.deps import CurrentTenant, SessionDep, kernel_of
from marcus.errors import Unauthorized
from marcus.kernel import Kernel
from marcus.logs import user_var
from marcus.tenancy.resolver import Tenant

bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


# Binds the tenant, then checks user and session (kernel_0009): one round trip for both.
_SESSION_CHECK = "SELECT marcus_session_email(%(org)s, %(user)s, %(session)s) AS email"


async def verify_token(session: AsyncSession, settings: Settings, *, token: str, tenant: Tenant) -> AccessClaims:
    """Check ``token`` for ``tenant`` and that its user and session are still good (one statement)."""
    claims = decode_access_token(settings, token)
    if claims.org_id != tenant.id:
        raise Unauthorized("This token belongs to another workspace.", code="token_wrong_tenant")
    async with bound_by_first_statement(session, tenant.id):
        # Straight to psycopg: this check runs on every authenticated request, and SQLAlchemy's
        # execution path was most of its client CPU.
        params = {"org": tenant.id, "user": claims.user_id, "session": claims.session_id}
        email = (await fetch_dicts(session, _SESSION_CHECK, params))[0]["email"]
    if email is None:
        raise Unauthorized("This session has ended or the account is disabled.", code="session_revoked")
    return replace(claims, email=email)


def _principal(claims: AccessClaims) -> Principal:
    return Principal(user_id=claims.user_id, org_id=claims.org_id, email=claims.email, session_id=claims.session_id)


async def get_principal(
    request: Request, tenant: CurrentTenant, session: SessionDep, credentials: BearerDep
) -> Principal:
    """The authenticated user of this request; 401 when there is none."""
    if credentials is None:
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <access token>'.")
    settings = kernel_of(request).settings
    claims = await verify_token(session, settings, token=credentials.credentials, tenant=tenant)
    user_var.set(str(claims.user_id))
    return _principal(claims)


async def authenticate_token(kernel: Kernel, token: str, tenant: Tenant) -> tuple[Principal, datetime, list[str]]:
    """For connections outside a request (Socket.IO, WebSocket): the principal, when its token
    expires, and its roles (from the database, never from the token)."""
    from marcus.rbac import roles_of  # rbac depends on this module

    if not token:
        raise Unauthorized("Authentication required.")
    async with kernel.db.tenant_session(tenant.id) as session:
        claims = await verify_token(session, kernel.settings, token=token, tenant=tenant)
        roles = await roles_of(session, org_id=tenant.id, user_id=claims.user_id)
    return _principal(claims), claims.expires_at, roles


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_optional_principal(
    request: Request, tenant: CurrentTenant, session: SessionDep, credentials: BearerDep
) -> Principal | None:
    """The caller when a token is sent (it must then be valid: 401 otherwise), else None.

    For public routes that show more to signed-in users (a blog shows drafts to staff).
    """
    if credentials is None:
        return None
    return await get_principal(request, tenant, session, credentials)


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]
