"""Users belong to one workspace; the same email may be a customer of two businesses.

Also the identity tables around them: sign-in sessions (refresh-token families), the hashed
refresh tokens, and the hashed one-time codes emailed for registration, login and resets.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKeyConstraint, Index, Integer, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from marcus.db.base import Base, TenantScoped


class User(TenantScoped, Base):
    """A person in a workspace: customer, staff, admin or owner (roles live in the RBAC tables)."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    company_name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    street: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    zip: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    vat_id: Mapped[str | None] = mapped_column(Text)
    registration_number: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(Text)
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    @property
    def active(self) -> bool:
        """May sign in and use tokens: verified, not blocked, not deleted."""
        return self.is_verified and not self.is_blocked and self.deleted_at is None


class AuthSession(TenantScoped, Base):
    """One signed-in device: the family of its refresh tokens. Revoking it ends them all at once."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "user_id"], ["users.organization_id", "users.id"], ondelete="CASCADE"),
        Index("ix_auth_sessions_organization_id_user_id", "organization_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(Text)


class RefreshToken(TenantScoped, Base):
    """A refresh token, stored as its SHA-256 only; ``used_at`` is set when it is rotated away."""

    __tablename__ = "auth_refresh_tokens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organization_id", "session_id"], ["auth_sessions.organization_id", "auth_sessions.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("organization_id", "token_hash"),
        Index("ix_auth_refresh_tokens_organization_id_session_id", "organization_id", "session_id"),
    )

    session_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OneTimeCode(TenantScoped, Base):
    """The current emailed code of one user for one purpose, stored as an HMAC, attempt-limited."""

    __tablename__ = "auth_codes"
    __table_args__ = (
        ForeignKeyConstraint(["organization_id", "user_id"], ["users.organization_id", "users.id"], ondelete="CASCADE"),
        UniqueConstraint("organization_id", "user_id", "purpose"),
    )

    user_id: Mapped[uuid.UUID]
    purpose: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_email: Mapped[str | None] = mapped_column(Text)
