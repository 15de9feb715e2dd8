"""How the seed spells a user and a role (seed-api.md §5 ``User``), from Marcus's user rows.

Only whitelisted fields leave the server: never a password hash, a code or a token (seed §9.6).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import marcus
from marcus_compat.envelope import snake_key

STAFF_ROLES = ("owner", "admin")
SEED_ROLES = {"ADMIN": "admin", "CUSTOMER": "customer", "STAFF": "staff", "OWNER": "owner"}


def seed_role(roles: Iterable[str]) -> str:
    """``ADMIN`` for owners and admins, ``STAFF`` for staff, else ``CUSTOMER`` (the seed's two
    roles, plus Marcus's staff role, which the seed did not have)."""
    held = set(roles)
    if held & set(STAFF_ROLES):
        return "ADMIN"
    if "staff" in held:
        return "STAFF"
    return "CUSTOMER"


def marcus_role(role: str) -> str:
    """The seed's ``ADMIN`` / ``CUSTOMER`` (any case) as a Marcus role name; others pass through
    lower-cased and the kernel validates them."""
    return SEED_ROLES.get(role.strip().upper(), role.strip().lower())


def seed_user(user: marcus.User, roles: Iterable[str]) -> dict[str, Any]:
    """The seed's user object (camelCased by ``ok``), without any secret."""
    held = sorted(roles)
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": seed_role(held),
        "roles": held,
        "company_name": user.company_name,
        "phone_number": user.phone,
        "image": f"/api/v1/users/{user.id}/avatar" if user.image else None,
        "street": user.street,
        "city": user.city,
        "zip": user.zip,
        "country": user.country,
        "vat_uid": user.vat_id,
        "company_registration_number": user.registration_number,
        "is_verified": user.is_verified,
        "is_blocked": user.is_blocked,
        "is_deleted": user.deleted_at is not None,
        "login_time": user.last_login_at,
        "registration_time": user.created_at,
        "last_password_change_time": user.password_changed_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


async def load_seed_user(session: Any, user: marcus.User, roles: Iterable[str] | None = None) -> dict[str, Any]:
    """``seed_user`` for a row a service just wrote: reloaded first (server-set columns such as
    ``updated_at`` are expired after the commit), roles read when not given."""
    await session.refresh(user)
    if roles is None:
        roles = await marcus.users_service.user_roles(session, user=user)
    return seed_user(user, roles)


# The seed's profile field names -> Marcus's.
PROFILE_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "company_name": "company_name",
    "phone_number": "phone",
    "street": "street",
    "city": "city",
    "zip": "zip",
    "country": "country",
    "vat_uid": "vat_id",
    "company_registration_number": "registration_number",
}
# Fields the seed let anyone write (§9.3, §9.4) that only an admin route may change, if any.
PRIVILEGED = ("role", "is_blocked", "is_deleted", "is_verified", "password", "id", "user_id", "created_at")


def refuse_privileged(fields: dict[str, Any], *, where: str, allowed: tuple[str, ...] = ()) -> None:
    """A clear 403 naming the privileged fields a client tried to set (role, isBlocked...)."""
    sent = [key for key in fields if marcus_key(key) in PRIVILEGED and marcus_key(key) not in allowed]
    if sent:
        names = ", ".join(sorted(sent))
        raise marcus.Forbidden(
            f"These fields cannot be set by {where}: {names}.",
            code="privileged_fields",
            errors=[{"field": key, "message": "cannot be set here"} for key in sorted(sent)],
        )


def marcus_key(key: str) -> str:
    return snake_key(key)


def profile_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Seed profile fields (camel or snake) as Marcus profile fields; unknown keys kept as sent
    so that the kernel's schema refuses them by name."""
    values: dict[str, Any] = {}
    for key, value in fields.items():
        name = marcus_key(key)
        values[PROFILE_FIELDS.get(name, name)] = value
    return values
