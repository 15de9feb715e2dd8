"""Identity schemas. Every input model forbids unknown fields, so a ``role`` or ``is_verified``
sent by a client is a 422 naming it, never applied. No output carries a password hash, a code
or a token hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from marcus.auth.models import User

EmailAddress = Annotated[EmailStr, AfterValidator(lambda v: v.strip().lower())]
Password = Annotated[str, Field(min_length=8, max_length=256)]
Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileFields(StrictInput):
    """The profile fields a person may set on themselves (the whitelist)."""

    first_name: Name | None = None
    last_name: Name | None = None
    company_name: Text | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    street: Text | None = None
    city: Text | None = None
    zip: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    country: Text | None = None
    vat_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    registration_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None


class RegistrationCreate(ProfileFields):
    """Sign up in this workspace; an emailed code verifies the address."""

    email: EmailAddress
    password: Password
    first_name: Name
    last_name: Name


class CodeVerify(StrictInput):
    email: EmailAddress
    code: Code


class CodeResend(StrictInput):
    email: EmailAddress
    purpose: Literal["register", "login"] = "register"


class LoginCreate(StrictInput):
    email: EmailAddress
    password: Annotated[str, Field(min_length=1, max_length=256)]


class RefreshCreate(StrictInput):
    refresh_token: Annotated[str, Field(min_length=16, max_length=200)]


class PasswordForgot(StrictInput):
    email: EmailAddress


class PasswordReset(StrictInput):
    email: EmailAddress
    code: Code
    new_password: Password


class PasswordChange(StrictInput):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password


class TokenRead(BaseModel):
    """An access token (JWT, short-lived) and the refresh token that renews it (single use)."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class LoginChallengeRead(BaseModel):
    """The password was right; a sign-in code was emailed (POST /auth/login/verify)."""

    otp_required: Literal[True] = True
    expires_in: int
    detail: str = "A sign-in code was sent to your email address."


class AcceptedRead(BaseModel):
    detail: str


class UserRead(BaseModel):
    """A user as shown to themselves and to admins: no hashes, codes or tokens."""

    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    company_name: str | None
    phone: str | None
    street: str | None
    city: str | None
    zip: str | None
    country: str | None
    vat_id: str | None
    registration_number: str | None
    avatar_url: str | None
    is_verified: bool
    is_blocked: bool
    is_deleted: bool
    roles: list[str] = []
    pending_email: str | None = None
    created_at: datetime
    last_login_at: datetime | None
    password_changed_at: datetime | None

    @classmethod
    def of(cls, user: User, *, roles: list[str] | None = None, pending_email: str | None = None) -> UserRead:
        """Copy the public fields of ``user``."""
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            company_name=user.company_name,
            phone=user.phone,
            street=user.street,
            city=user.city,
            zip=user.zip,
            country=user.country,
            vat_id=user.vat_id,
            registration_number=user.registration_number,
            avatar_url=f"/api/v1/users/{user.id}/avatar" if user.image else None,
            is_verified=user.is_verified,
            is_blocked=user.is_blocked,
            is_deleted=user.deleted_at is not None,
            roles=roles or [],
            pending_email=pending_email,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
            password_changed_at=user.password_changed_at,
        )
