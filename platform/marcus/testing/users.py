"""Users for tests: a verified account with a role and a signed-in session, in one call."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from marcus.auth.models import User
from marcus.auth.passwords import hash_password
from marcus.auth.sessions import open_session
from marcus.rbac import assign_role
from marcus.tenancy.models import Organization
from marcus.testing.harness import TestDatabase

DEFAULT_PASSWORD = "correct horse battery staple"  # noqa: S105 - test accounts only


@dataclass(frozen=True, kw_only=True)
class TestUser:
    """A signed-in user: ``headers`` authenticate a request to its workspace."""

    __test__ = False

    id: uuid.UUID
    org_id: uuid.UUID
    slug: str
    email: str
    password: str
    role: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "X-Tenant": self.slug}

    @property
    def auth(self) -> dict[str, str]:
        """Socket.IO ``auth`` payload."""
        return {"token": self.access_token}


async def create_user(
    database: TestDatabase,
    org: Organization,
    *,
    role: str = "customer",
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    first_name: str = "Test",
    last_name: str = "User",
) -> TestUser:
    """A verified user of ``org`` holding ``role``, with an open session and tokens."""
    settings = database.settings
    email = email or f"{role}-{secrets.token_hex(4)}@example.com"
    async with database.db.tenant_transaction(org.id) as session:
        user = User(
            organization_id=org.id,
            email=email,
            password_hash=await hash_password(settings, password),
            first_name=first_name,
            last_name=last_name,
            is_verified=True,
        )
        session.add(user)
        await session.flush()
        await assign_role(session, org_id=org.id, user_id=user.id, role=role)
        tokens = await open_session(session, settings, user=user)
    return TestUser(
        id=user.id,
        org_id=org.id,
        slug=org.slug,
        email=email,
        password=password,
        role=role,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
    )
