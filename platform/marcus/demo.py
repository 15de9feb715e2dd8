"""``marcus demo``: a workspace filled with believable sample data, and the logins to look at it.

The kernel creates the two demo accounts (an admin and a customer); each enabled plugin adds
its own data through the ``demo_data`` hook, in dependency order. Everything is idempotent:
plugins find their demo rows by a natural key and create only what is missing, and the demo
passwords are derived from the server secret and the workspace id, so a second run creates
nothing and prints the same logins. A workspace with users other than the demo accounts holds
real data: the demo refuses it unless forced.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marcus.auth.models import User
from marcus.auth.passwords import hash_password, verify_password
from marcus.auth.principal import Principal
from marcus.auth.schemas import RegistrationCreate
from marcus.auth.service import create_user, find_user
from marcus.auth.tokens import derive_key, now
from marcus.config import Settings
from marcus.errors import Conflict
from marcus.storage.files import TenantFiles, workspace_files
from marcus.tenancy.resolver import Tenant
from marcus.tenancy.service import bind

if TYPE_CHECKING:
    from marcus.kernel import Kernel

ADMIN_EMAIL = "demo-admin@example.com"
CUSTOMER_EMAIL = "demo-customer@example.com"
DEMO_EMAILS = (ADMIN_EMAIL, CUSTOMER_EMAIL)
Step = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True, kw_only=True)
class Login:
    """A demo account: what to type on the sign-in page."""

    role: str
    email: str
    password: str


@dataclass(frozen=True, kw_only=True)
class DemoContext:
    """What a plugin's ``demo_data`` gets: the workspace, a session bound to it (commit what you
    create), the demo accounts and the kernel."""

    kernel: Kernel
    tenant: Tenant
    session: AsyncSession
    admin: User
    customer: User

    def files(self, plugin: str) -> TenantFiles:
        """``plugin``'s storage in this workspace, with its upload limits (as a route gets it)."""
        return workspace_files(self.kernel, self.tenant, plugin)

    def principal(self, user: User) -> Principal:
        """``user`` as the actor of a service call (outside any sign-in: the nil session id)."""
        return Principal(user_id=user.id, org_id=self.tenant.id, email=user.email, session_id=uuid.UUID(int=0))


@dataclass(frozen=True, kw_only=True)
class DemoReport:
    """What a run created (per plugin, kernel first) and where to look at it."""

    tenant: Tenant
    logins: tuple[Login, Login]
    created: list[tuple[str, list[str]]] = field(default_factory=list)
    base_url: str = ""

    @property
    def created_anything(self) -> bool:
        return any(lines for _, lines in self.created)


def demo_password(settings: Settings, tenant: Tenant, role: str) -> str:
    """The demo password of ``role`` in ``tenant``: the same on every run, unguessable without
    the server secret (with the dev placeholder secret, anyone can compute it: dev only)."""
    digest = hmac.new(derive_key(settings, "marcus.demo.password"), f"{tenant.id}:{role}".encode(), "sha256")
    letters = base64.b32encode(digest.digest()).decode().lower()[:16]
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


def workspace_url(settings: Settings, tenant: Tenant) -> str:
    """Where ``marcus serve`` shows this workspace: its own host for any but the default one."""
    host = settings.host if tenant.slug == settings.default_tenant else f"{tenant.slug}.{settings.base_domain}"
    return f"http://{host}:{settings.port}"


async def real_users(kernel: Kernel, tenant: Tenant) -> list[str]:
    """Emails of the workspace's users other than the demo accounts (deleted ones included)."""
    async with kernel.db.platform_session() as session:
        query = (
            select(User.email)
            .where(User.organization_id == tenant.id, func.lower(User.email).not_in(DEMO_EMAILS))
            .order_by(User.email)
        )
        return list(await session.scalars(query))


async def _account(kernel: Kernel, tenant: Tenant, role: str, email: str, first: str, last: str) -> tuple[User, str]:
    """The demo account of ``role``, created (verified) when missing, its password set back to
    the derived one when it differs (a changed secret, or someone changed it); what was done."""
    password = demo_password(kernel.settings, tenant, role)
    async with kernel.db.platform_session() as session, session.begin():
        await bind(session, tenant.id)
        if (user := await find_user(session, org_id=tenant.id, email=email)) is None:
            data = RegistrationCreate(email=email, password=password, first_name=first, last_name=last)
            user = await create_user(session, kernel.settings, org_id=tenant.id, data=data, role=role, verified=True)
            return user, f"user {email}"
        if await verify_password(kernel.settings, password, user.password_hash):
            return user, ""
        user.password_hash, user.password_changed_at = await hash_password(kernel.settings, password), now()
        return user, f"password of {email} set to the demo one"


async def run_demo(kernel: Kernel, *, slug: str, force: bool = False, step: Step | None = None) -> DemoReport:
    """Fill the workspace ``slug`` with demo data; ``Conflict`` when it holds real data, unless ``force``.

    ``step(description)`` wraps each stage (progress output on the command line).
    """
    step = step or (lambda _: nullcontext())
    tenant = await kernel.tenants.by_slug(slug)
    if (others := await real_users(kernel, tenant)) and not force:
        raise Conflict(
            f"workspace '{slug}' has real data ({len(others)} user(s), e.g. {others[0]}); "
            "the demo adds to an empty workspace only: use --force to add it anyway, or --tenant for another",
            code="workspace_has_data",
        )
    with step("Demo accounts"):
        admin, admin_done = await _account(kernel, tenant, "admin", ADMIN_EMAIL, "Ada", "Admin")
        customer, customer_done = await _account(kernel, tenant, "customer", CUSTOMER_EMAIL, "Cleo", "Customer")
    created = [("accounts", [done for done in (admin_done, customer_done) if done])]
    created += await _plugins_data(kernel, tenant, admin=admin, customer=customer, step=step)
    with step("Delivering the notifications"):
        await _deliver(kernel)
    logins = (
        Login(role="admin", email=ADMIN_EMAIL, password=demo_password(kernel.settings, tenant, "admin")),
        Login(role="customer", email=CUSTOMER_EMAIL, password=demo_password(kernel.settings, tenant, "customer")),
    )
    return DemoReport(tenant=tenant, logins=logins, created=created, base_url=workspace_url(kernel.settings, tenant))


async def _plugins_data(
    kernel: Kernel, tenant: Tenant, *, admin: User, customer: User, step: Step
) -> list[tuple[str, list[str]]]:
    """Each enabled plugin's ``demo_data``, in dependency order (later ones use earlier ones' data)."""
    created: list[tuple[str, list[str]]] = []
    async with kernel.db.tenant_session(tenant.id) as session:
        demo = DemoContext(kernel=kernel, tenant=tenant, session=session, admin=admin, customer=customer)
        pending = kernel.plugins.call("demo_data", demo=demo)
        try:
            while pending:
                plugin, coroutine = pending.pop(0)
                if not tenant.has_plugin(plugin):
                    coroutine.close()
                    continue
                with step(f"Demo data: {plugin}"):
                    lines: Sequence[str] | None = await coroutine
                    await session.commit()
                created.append((plugin, list(lines or ())))
        finally:
            for _, coroutine in pending:  # a plugin failed: the later ones never start
                coroutine.close()
    return created


async def _deliver(kernel: Kernel) -> None:
    """Run the outbox relay until it is empty, so the demo's notifications exist at once
    (a running server's relay may deliver some of them first: delivery is idempotent)."""
    from marcus.worker import relay_for

    relay = relay_for(kernel)
    while await relay.run_once():
        pass


def print_report(report: DemoReport, settings: Settings, echo: Callable[[str], object]) -> None:
    """What ``marcus demo`` prints: what was created, the logins, where to go."""
    echo(f"Demo workspace '{report.tenant.slug}' ({report.tenant.name}):")
    for what, lines in report.created:
        if lines:
            echo(f"  {what}: {', '.join(lines)}")
    if not report.created_anything:
        echo("  nothing new: the demo data was already there")
    echo("\nSign in with:")
    for login in report.logins:
        echo(f"  {login.role:<9} {login.email:<27} {login.password}")
    if report.tenant.settings.get("login_otp"):
        echo("  then the code this workspace emails after the password: " + _where_codes_go(report, settings))
    echo("\nOpen:")
    echo(f"  portal home      {report.base_url}/")
    echo(f"  admin dashboard  {report.base_url}/dashboard")
    echo(f"  API docs         {report.base_url}/docs")
    echo("The demo passwords are derived from MARCUS_SECRET_KEY and the workspace: the same on every run.")


def _where_codes_go(report: DemoReport, settings: Settings) -> str:
    if settings.smtp_host:
        return (
            "it goes out by SMTP, and the demo addresses receive nothing: set login_otp = false "
            f"in the workspace's manifest (tenants/{report.tenant.slug}.toml) to try the demo"
        )
    where = f"{report.base_url}/api/v1/dev/mail or " if settings.env == "dev" else ""
    return f"read it at {where}{settings.data_dir / 'mail'}"
