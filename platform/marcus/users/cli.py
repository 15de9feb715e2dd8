"""``marcus users create``: a verified user with a role, e.g. the first admin of a workspace."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select

from marcus.auth.schemas import RegistrationCreate
from marcus.auth.service import create_user
from marcus.config import Settings
from marcus.db.engine import Database
from marcus.errors import MarcusError, NotFound
from marcus.tenancy.models import Organization
from marcus.tenancy.service import bind

users_app = typer.Typer(help="Users of a workspace.", no_args_is_help=True)


async def provision_user(settings: Settings, admin_url: str, *, slug: str, role: str, data: RegistrationCreate) -> None:
    """Create a verified user with ``role`` in the workspace ``slug`` (platform transaction)."""
    db = Database(settings, admin_url=admin_url)
    try:
        async with db.platform_session() as session, session.begin():
            org = await session.scalar(select(Organization).where(Organization.slug == slug))
            if org is None:
                raise NotFound(f"No workspace '{slug}' (see `marcus tenants list`).")
            await bind(session, org.id)
            await create_user(session, settings, org_id=org.id, data=data, role=role, verified=True)
    finally:
        await db.dispose()


@users_app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    tenant: Annotated[str, typer.Option("--tenant", help="Workspace slug.")],
    role: Annotated[str, typer.Option("--role", help="owner, admin, staff, customer or a custom role.")],
    password: Annotated[str | None, typer.Option(help="Password; a random one is printed when omitted.")] = None,
    first_name: Annotated[str | None, typer.Option(help="First name (default: the email's local part).")] = None,
    last_name: Annotated[str | None, typer.Option(help="Last name (default: the role).")] = None,
) -> None:
    """Create a verified user with a role in a workspace."""
    from marcus.cli import _fail, _prepare, _run

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        data = RegistrationCreate(
            email=email,
            password=password,
            first_name=first_name or email.split("@", 1)[0],
            last_name=last_name or role.capitalize(),
        )
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise _fail(f"invalid {fields}: {exc.errors()[0]['msg']}") from exc
    settings, admin_url, _ = _prepare()
    try:
        _run(provision_user(settings, admin_url, slug=tenant, role=role, data=data))
    except MarcusError as exc:
        raise _fail(exc.detail) from exc
    typer.echo(f"Created {data.email} ({role}) in workspace '{tenant}'.")
    if generated:
        typer.echo(f"Password: {password}")
