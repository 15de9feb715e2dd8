"""Request and response bodies of ``/api/v1/roles``."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from marcus.declarations import Scope

ROLE_NAME = r"^[a-z][a-z0-9_-]{1,39}$"
MAX_PERMISSIONS = 500

RoleName = Annotated[str, Field(pattern=ROLE_NAME, min_length=2, max_length=40, examples=["reception"])]


class RoleRead(BaseModel):
    """A role: a template (owner, admin, staff, customer) or one of the workspace's custom roles."""

    name: str
    description: str
    template: bool
    permissions: dict[str, Scope]


class RoleCreate(BaseModel):
    """A custom role from declared permissions, each with its scope (``any`` or ``own``)."""

    model_config = ConfigDict(extra="forbid")

    name: RoleName
    description: str = Field(default="", max_length=500)
    permissions: dict[str, Scope] = Field(default_factory=dict, max_length=MAX_PERMISSIONS)


class RoleUpdate(BaseModel):
    """Fields of a custom role to change; ``permissions`` replaces the whole set."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500)
    permissions: dict[str, Scope] | None = Field(default=None, max_length=MAX_PERMISSIONS)


class PermissionRead(BaseModel):
    """A declared permission a custom role may include."""

    name: str
    description: str
    plugin: str


class UserRolesRead(BaseModel):
    """The roles a user holds in this workspace."""

    user_id: uuid.UUID
    roles: list[str]


class RoleAssignmentCreate(BaseModel):
    """Give a user a role (a template or a custom role)."""

    model_config = ConfigDict(extra="forbid")

    role: RoleName
