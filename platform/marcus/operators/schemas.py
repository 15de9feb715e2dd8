"""Operator schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from marcus.auth.schemas import EmailAddress, StrictInput
from marcus.onboarding.schemas import OrganizationRead
from marcus.pagination import Page


class OperatorLoginCreate(StrictInput):
    email: EmailAddress
    password: Annotated[str, Field(min_length=1, max_length=256)]


class PlatformTokenRead(BaseModel):
    """An operator access token (audience ``marcus:platform``); sign in again when it expires."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


OrganizationPage = Page[OrganizationRead]
