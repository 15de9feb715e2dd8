"""Signup schemas: a workspace and its owner account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from marcus.auth.schemas import EmailAddress, Name, Password, StrictInput, UserRead


class OwnerCreate(StrictInput):
    email: EmailAddress
    password: Password
    first_name: Name
    last_name: Name


class OrganizationCreate(StrictInput):
    """A new workspace: its name, its slug (``<slug>.<base domain>``) and its owner."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    slug: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=63)]
    owner: OwnerCreate


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    status: str
    created_at: datetime


class OrganizationSignupRead(BaseModel):
    """The new workspace and its owner, who must now verify the emailed code."""

    organization: OrganizationRead
    owner: UserRead
