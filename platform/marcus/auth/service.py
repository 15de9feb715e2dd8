"""Identity flows: registration and its code, login (with the optional emailed second step),
password reset and change, logout. Keyword-only, raising domain errors; each commits its work.

Codes are mailed through the outbox in the same transaction that stores them.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth import codes
from marcus.auth.models import User
from marcus.auth.passwords import hash_password, needs_rehash, verify_password
from marcus.auth.principal import Principal
from marcus.auth.schemas import RegistrationCreate
from marcus.auth.sessions import IssuedTokens, open_session, revoke_sessions, revoke_user_sessions
from marcus.auth.tokens import now
from marcus.config import Settings
from marcus.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from marcus.mail.service import TenantLike, send_mail
from marcus.ratelimit import RateLimited
from marcus.rbac import assign_role
from marcus.tenancy.resolver import Tenant

CUSTOMER = "customer"
TEMPLATES = {
    codes.REGISTER: "verification_code",
    codes.LOGIN: "login_code",
    codes.RESET: "password_reset",
    codes.EMAIL_CHANGE: "email_change",
}


@dataclass(frozen=True, kw_only=True)
class Client:
    """Where a sign-in comes from (stored on the session)."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, kw_only=True)
class LoginChallenge:
    """The password was right and a code was emailed."""

    expires_in: int


async def find_user(session: AsyncSession, *, org_id: uuid.UUID, email: str) -> User | None:
    """The user of ``org_id`` with ``email`` (case-insensitive), deleted ones included."""
    return await session.scalar(
        select(User).where(User.organization_id == org_id, func.lower(User.email) == email.lower())
    )


async def mail_code(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant: TenantLike,
    user: User,
    purpose: str,
    to: str | None = None,
) -> None:
    """Issue a code for ``purpose`` and queue its mail (to ``to`` or the user's address)."""
    code = await codes.issue_code(session, settings, org_id=tenant.id, user_id=user.id, purpose=purpose, new_email=to)
    context = {"code": code, "first_name": user.first_name, "expires_minutes": settings.code_ttl // 60}
    await send_mail(session, to=to or user.email, template=TEMPLATES[purpose], context=context, tenant=tenant)


def email_taken() -> Conflict:
    return Conflict(
        "An account with this email already exists here.",
        code="email_taken",
        errors=[{"field": "email", "message": "already registered"}],
    )


async def create_user(
    session: AsyncSession,
    settings: Settings,
    *,
    org_id: uuid.UUID,
    data: RegistrationCreate,
    role: str,
    verified: bool,
) -> User:
    """Insert a user with ``role`` (the caller commits); 409 when the email is taken here."""
    if await find_user(session, org_id=org_id, email=data.email) is not None:
        raise email_taken()
    fields = data.model_dump(exclude={"password"})
    user = User(
        organization_id=org_id,
        password_hash=await hash_password(settings, data.password),
        is_verified=verified,
        password_changed_at=now(),
        **fields,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        await session.rollback()
        raise email_taken() from exc
    await assign_role(session, org_id=org_id, user_id=user.id, role=role)
    return user


async def register(session: AsyncSession, settings: Settings, *, tenant: Tenant, data: RegistrationCreate) -> User:
    """Create an unverified customer and email them a verification code."""
    user = await create_user(session, settings, org_id=tenant.id, data=data, role=CUSTOMER, verified=False)
    await mail_code(session, settings, tenant=tenant, user=user, purpose=codes.REGISTER)
    await session.commit()
    return user


async def verify_registration(
    session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str, code: str
) -> User:
    """Mark the account verified when the code is right."""
    user = await find_user(session, org_id=tenant.id, email=email)
    if user is not None and user.is_verified:
        raise Conflict("This account is already verified.", code="already_verified")
    await codes.check_code(
        session, settings, org_id=tenant.id, user_id=user.id if user else None, purpose=codes.REGISTER, code=code
    )
    assert user is not None
    user.is_verified = True
    await session.commit()
    return user


async def resend_code(session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str, purpose: str) -> None:
    """Send a new code for a pending registration or login step; silent for unknown accounts."""
    user = await find_user(session, org_id=tenant.id, email=email)
    if user is None or user.deleted_at is not None or user.is_blocked:
        return
    if purpose == codes.REGISTER and user.is_verified:
        return
    if purpose == codes.LOGIN and not (
        user.active and await codes.has_live_code(session, org_id=tenant.id, user_id=user.id, purpose=codes.LOGIN)
    ):
        return
    await mail_code(session, settings, tenant=tenant, user=user, purpose=purpose)
    await session.commit()


async def _authenticate(
    session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str, password: str
) -> User:
    user = await find_user(session, org_id=tenant.id, email=email)
    valid = await verify_password(settings, password, user.password_hash if user else None)
    if user is None or not valid or user.deleted_at is not None:
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    if not user.is_verified:
        raise Forbidden("Verify your email address first (see the code we sent).", code="email_not_verified")
    if user.is_blocked:
        raise Forbidden("This account is blocked.", code="account_blocked")
    if user.password_hash and needs_rehash(settings, user.password_hash):  # the cost setting changed
        user.password_hash = await hash_password(settings, password)
    return user


async def login(
    session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str, password: str, client: Client
) -> IssuedTokens | LoginChallenge:
    """Check the password; then tokens, or an emailed code when the workspace wants ``login_otp``."""
    user = await _authenticate(session, settings, tenant=tenant, email=email, password=password)
    if tenant.settings.get("login_otp"):
        with contextlib.suppress(RateLimited):  # a code went out moments ago and is still valid
            await mail_code(session, settings, tenant=tenant, user=user, purpose=codes.LOGIN)
        await session.commit()
        return LoginChallenge(expires_in=settings.code_ttl)
    tokens = await open_session(session, settings, user=user, user_agent=client.user_agent, ip=client.ip)
    await session.commit()
    return tokens


async def verify_login(
    session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str, code: str, client: Client
) -> IssuedTokens:
    """Second login step: the emailed code for tokens."""
    user = await find_user(session, org_id=tenant.id, email=email)
    await codes.check_code(
        session, settings, org_id=tenant.id, user_id=user.id if user else None, purpose=codes.LOGIN, code=code
    )
    assert user is not None
    if not user.active:
        await session.rollback()
        raise Forbidden("This account cannot sign in.", code="account_disabled")
    tokens = await open_session(session, settings, user=user, user_agent=client.user_agent, ip=client.ip)
    await session.commit()
    return tokens


async def logout(session: AsyncSession, *, principal: Principal) -> None:
    """End the caller's session."""
    await revoke_sessions(session, org_id=principal.org_id, session_ids=[principal.session_id], reason="logout")
    await session.commit()


async def logout_everywhere(session: AsyncSession, *, principal: Principal) -> None:
    """End every session of the caller, this one included."""
    await revoke_user_sessions(session, org_id=principal.org_id, user_id=principal.user_id, reason="logout_all")
    await session.commit()


async def forgot_password(session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str) -> None:
    """Email a reset code when the account exists; the answer never tells whether it does."""
    user = await find_user(session, org_id=tenant.id, email=email)
    if user is None or user.deleted_at is not None or user.is_blocked:
        return
    try:
        await mail_code(session, settings, tenant=tenant, user=user, purpose=codes.RESET)
    except RateLimited:
        return
    await session.commit()


async def set_password(session: AsyncSession, settings: Settings, *, user: User, password: str) -> None:
    user.password_hash = await hash_password(settings, password)
    user.password_changed_at = now()


async def reset_password(
    session: AsyncSession, settings: Settings, *, tenant: Tenant, email: str, code: str, new_password: str
) -> None:
    """Set a new password with the emailed code; every session ends."""
    user = await find_user(session, org_id=tenant.id, email=email)
    await codes.check_code(
        session, settings, org_id=tenant.id, user_id=user.id if user else None, purpose=codes.RESET, code=code
    )
    assert user is not None
    await set_password(session, settings, user=user, password=new_password)
    await revoke_user_sessions(session, org_id=tenant.id, user_id=user.id, reason="password_reset")
    await session.commit()


async def change_password(
    session: AsyncSession, settings: Settings, *, principal: Principal, current_password: str, new_password: str
) -> None:
    """Change the caller's password; their other sessions end."""
    user = await session.scalar(
        select(User).where(User.organization_id == principal.org_id, User.id == principal.user_id)
    )
    if user is None:
        raise NotFound("No such user.")
    if not await verify_password(settings, current_password, user.password_hash):
        raise Invalid(
            "The current password is wrong.",
            code="wrong_password",
            errors=[{"field": "current_password", "message": "wrong password"}],
        )
    if current_password == new_password:
        raise Invalid(
            "The new password must differ from the current one.",
            code="same_password",
            errors=[{"field": "new_password", "message": "same as the current password"}],
        )
    await set_password(session, settings, user=user, password=new_password)
    await revoke_user_sessions(
        session, org_id=principal.org_id, user_id=user.id, reason="password_changed", keep=principal.session_id
    )
    await session.commit()
