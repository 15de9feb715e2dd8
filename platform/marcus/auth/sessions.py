"""Sign-in sessions: each holds one family of refresh tokens.

A refresh token is used once: ``rotate`` marks it used and issues the next one in the same
session. Presenting a used token again means it was copied, so the whole session (family) is
revoked. Access tokens name their session, and ``get_principal`` refuses them once it is revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.models import AuthSession, RefreshToken, User
from marcus.auth.tokens import digest, issue_access_token, new_refresh_token, now
from marcus.config import Settings
from marcus.errors import Unauthorized
from marcus.rbac import roles_of


@dataclass(frozen=True, kw_only=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


async def open_session(
    session: AsyncSession, settings: Settings, *, user: User, user_agent: str | None = None, ip: str | None = None
) -> IssuedTokens:
    """Start a sign-in session for ``user`` and issue its first token pair (the caller commits)."""
    started = now()
    auth_session = AuthSession(
        organization_id=user.organization_id,
        user_id=user.id,
        expires_at=started + timedelta(seconds=settings.refresh_token_ttl),
        last_used_at=started,
        user_agent=(user_agent or "")[:300] or None,
        ip=ip,
    )
    session.add(auth_session)
    user.last_login_at = started
    await session.flush()
    return await _issue(session, settings, user=user, session_id=auth_session.id)


async def _issue(session: AsyncSession, settings: Settings, *, user: User, session_id: uuid.UUID) -> IssuedTokens:
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            organization_id=user.organization_id,
            session_id=session_id,
            token_hash=digest(refresh),
            expires_at=now() + timedelta(seconds=settings.refresh_token_ttl),
        )
    )
    roles = await roles_of(session, org_id=user.organization_id, user_id=user.id)
    access = issue_access_token(
        settings, user_id=user.id, org_id=user.organization_id, session_id=session_id, roles=roles
    )
    await session.flush()
    return IssuedTokens(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl, session_id=session_id
    )


async def rotate(session: AsyncSession, settings: Settings, *, org_id: uuid.UUID, refresh_token: str) -> IssuedTokens:
    """Exchange a refresh token for a new pair; a reused token revokes its session. Commits."""
    hashed = digest(refresh_token)
    claimed = (
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.organization_id == org_id,
                RefreshToken.token_hash == hashed,
                RefreshToken.used_at.is_(None),
                RefreshToken.expires_at > func.now(),
            )
            .values(used_at=func.now())
            .returning(RefreshToken.session_id)
        )
    ).first()
    if claimed is None:
        await _refuse_unclaimed(session, org_id=org_id, hashed=hashed)
    assert claimed is not None
    row = (
        await session.execute(
            select(AuthSession, User)
            .join(User, (User.organization_id == AuthSession.organization_id) & (User.id == AuthSession.user_id))
            .where(AuthSession.organization_id == org_id, AuthSession.id == claimed.session_id)
        )
    ).one()
    auth_session, user = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= now() or not user.active:
        await session.rollback()
        raise Unauthorized("This session has ended; sign in again.", code="session_revoked")
    auth_session.last_used_at = now()
    tokens = await _issue(session, settings, user=user, session_id=auth_session.id)
    await session.commit()
    return tokens


async def _refuse_unclaimed(session: AsyncSession, *, org_id: uuid.UUID, hashed: str) -> None:
    reused = await session.scalar(
        select(RefreshToken.session_id).where(
            RefreshToken.organization_id == org_id,
            RefreshToken.token_hash == hashed,
            RefreshToken.used_at.is_not(None),
        )
    )
    if reused is not None:
        await revoke_sessions(session, org_id=org_id, session_ids=[reused], reason="refresh_token_reused")
        await session.commit()
        raise Unauthorized(
            "This refresh token was already used; the session has been ended for safety.",
            code="refresh_token_reused",
        )
    raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")


async def revoke_sessions(
    session: AsyncSession, *, org_id: uuid.UUID, session_ids: list[uuid.UUID], reason: str
) -> None:
    """End the given sessions now (their access and refresh tokens stop working)."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.organization_id == org_id, AuthSession.id.in_(session_ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
    )


async def revoke_user_sessions(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    reason: str,
    keep: uuid.UUID | None = None,
) -> None:
    """End every session of ``user_id`` except ``keep`` (the caller commits)."""
    statement = update(AuthSession).where(
        AuthSession.organization_id == org_id,
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await session.execute(statement.values(revoked_at=func.now(), revoked_reason=reason))
