"""Provision a workspace and its owner in ONE platform transaction: the organization row, its
default plugins and their ``provision_tenant`` hooks (``tenancy.service.create_organization``),
the owner account with role ``owner``, and the verification code mailed through the outbox.
Any failure leaves nothing behind."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from marcus.auth import codes
from marcus.auth.models import User
from marcus.auth.schemas import RegistrationCreate
from marcus.auth.service import create_user, mail_code
from marcus.config import Settings
from marcus.db.engine import Database
from marcus.errors import Conflict
from marcus.onboarding.schemas import OrganizationCreate
from marcus.plugins import PluginRegistry
from marcus.tenancy.models import Organization
from marcus.tenancy.service import create_organization

OWNER = "owner"
DEFAULT_SETTINGS = {"time_zone": "UTC", "currency": "EUR", "language": "en"}


async def sign_up(
    db: Database, registry: PluginRegistry, settings: Settings, *, data: OrganizationCreate
) -> tuple[Organization, User]:
    """Create the workspace and its (unverified) owner; 409 when the slug is taken."""
    try:
        async with db.platform_session() as session, session.begin():
            org = await create_organization(
                session,
                registry,
                slug=data.slug,
                name=data.name,
                plugins={name: {} for name in settings.default_plugins},
                settings=DEFAULT_SETTINGS,
            )
            owner = RegistrationCreate.model_validate(data.owner.model_dump())
            user = await create_user(session, settings, org_id=org.id, data=owner, role=OWNER, verified=False)
            await mail_code(session, settings, tenant=org, user=user, purpose=codes.REGISTER)
    except IntegrityError as exc:  # a concurrent signup took the slug between check and insert
        raise Conflict(
            f"The slug '{data.slug}' is taken.",
            code="slug_taken",
            errors=[{"field": "slug", "message": "taken"}],
        ) from exc
    return org, user
