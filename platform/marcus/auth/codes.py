"""One-time codes: six digits from ``secrets``, stored as an HMAC, valid ``code_ttl`` seconds,
at most ``code_max_attempts`` checks (the next is refused even when right), one live code per
user and purpose, resends throttled to one per ``code_resend_interval`` seconds.

Each operation is a single statement, so concurrent guesses cannot exceed the attempt budget.
"""

from __future__ import annotations

import hmac
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.models import OneTimeCode
from marcus.auth.tokens import code_digest, new_code, now
from marcus.config import Settings
from marcus.errors import Invalid
from marcus.ratelimit import RateLimited

REGISTER, LOGIN, RESET, EMAIL_CHANGE = "register", "login", "reset", "email_change"


@dataclass(frozen=True, kw_only=True)
class CheckedCode:
    """A code that matched (and is now consumed)."""

    user_id: uuid.UUID
    new_email: str | None


def _code_error(detail: str, code: str) -> Invalid:
    return Invalid(detail, code=code, errors=[{"field": "code", "message": detail}])


async def issue_code(
    session: AsyncSession,
    settings: Settings,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    purpose: str,
    new_email: str | None = None,
) -> str:
    """A fresh code replacing any earlier one for (user, purpose); 429 when one was sent too recently."""
    code = new_code()
    issued = now()
    values = {
        "code_hash": code_digest(settings, org_id=org_id, user_id=user_id, purpose=purpose, code=code),
        "expires_at": issued + timedelta(seconds=settings.code_ttl),
        "sent_at": issued,
        "attempts": 0,
        "consumed_at": None,
        "new_email": new_email,
    }
    throttle = issued - timedelta(seconds=settings.code_resend_interval)
    statement = (
        (insert(OneTimeCode).values(organization_id=org_id, user_id=user_id, purpose=purpose, **values))
        .on_conflict_do_update(
            index_elements=["organization_id", "user_id", "purpose"],
            set_=values,
            where=OneTimeCode.sent_at <= throttle,
        )
        .returning(OneTimeCode.id)
    )
    if (await session.execute(statement)).first() is None:
        raise RateLimited(
            "A code was sent moments ago; wait before asking for another.",
            retry_after=await _resend_wait(session, settings, org_id=org_id, user_id=user_id, purpose=purpose),
            code="code_resend_throttled",
        )
    return code


async def _resend_wait(
    session: AsyncSession, settings: Settings, *, org_id: uuid.UUID, user_id: uuid.UUID, purpose: str
) -> int:
    sent_at = await session.scalar(
        select(OneTimeCode.sent_at).where(
            OneTimeCode.organization_id == org_id, OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose
        )
    )
    if sent_at is None:
        return settings.code_resend_interval
    return math.ceil((sent_at + timedelta(seconds=settings.code_resend_interval) - now()).total_seconds())


async def has_live_code(session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID, purpose: str) -> bool:
    """Whether an unconsumed, unexpired code exists (e.g. a login step in progress)."""
    found = await session.scalar(
        select(OneTimeCode.id).where(
            OneTimeCode.organization_id == org_id,
            OneTimeCode.user_id == user_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.expires_at > func.now(),
        )
    )
    return found is not None


async def check_code(
    session: AsyncSession,
    settings: Settings,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID | None,
    purpose: str,
    code: str,
) -> CheckedCode:
    """Spend one attempt on ``code`` and consume it when right; 422 naming ``code`` otherwise.

    A failed attempt is committed before the error is raised, so it counts even though the
    request fails. ``user_id`` None (unknown account) fails like a wrong code.
    """
    row = None
    if user_id is not None:
        row = (
            await session.execute(
                update(OneTimeCode)
                .where(
                    OneTimeCode.organization_id == org_id,
                    OneTimeCode.user_id == user_id,
                    OneTimeCode.purpose == purpose,
                    OneTimeCode.consumed_at.is_(None),
                    OneTimeCode.attempts < settings.code_max_attempts,
                )
                .values(attempts=OneTimeCode.attempts + 1)
                .returning(OneTimeCode.id, OneTimeCode.code_hash, OneTimeCode.expires_at, OneTimeCode.new_email)
            )
        ).first()
    if row is None or user_id is None:
        await session.commit()
        raise _code_error("No code is waiting, or it was used up; ask for a new one.", "code_invalid")
    expected = code_digest(settings, org_id=org_id, user_id=user_id, purpose=purpose, code=code.strip())
    if not hmac.compare_digest(row.code_hash, expected):
        await session.commit()
        raise _code_error("The code is wrong.", "code_invalid")
    if _expired(row.expires_at):
        await session.commit()
        raise _code_error("The code has expired; ask for a new one.", "code_expired")
    await session.execute(
        update(OneTimeCode)
        .where(and_(OneTimeCode.organization_id == org_id, OneTimeCode.id == row.id))
        .values(consumed_at=func.now())
    )
    return CheckedCode(user_id=user_id, new_email=row.new_email)


def _expired(expires_at: datetime) -> bool:
    return expires_at <= now()
