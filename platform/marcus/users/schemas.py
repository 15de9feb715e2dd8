"""User management schemas; unknown fields (``role`` in a profile update...) are a 422 naming them."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from marcus.auth.schemas import Code, EmailAddress, ProfileFields, RegistrationCreate, StrictInput, UserRead
from marcus.pagination import Page

RoleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class UserUpdate(ProfileFields):
    """Change your own profile. A new ``email`` is applied only once its emailed code is confirmed."""

    email: EmailAddress | None = None


class EmailChangeVerify(StrictInput):
    code: Code


class UserCreate(RegistrationCreate):
    """An admin creates a verified user with a role."""

    role: RoleName = "customer"


class RoleUpdate(StrictInput):
    role: RoleName


UserPage = Page[UserRead]
