"""``marcus operators create``: a platform operator account."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from marcus.auth.schemas import EmailAddress, Password
from marcus.config import Settings
from marcus.db.engine import Database
from marcus.errors import MarcusError
from marcus.operators.service import create_operator

operators_app = typer.Typer(help="Platform operators (they list, suspend and resume workspaces).", no_args_is_help=True)


async def provision_operator(settings: Settings, admin_url: str, *, email: str, password: str) -> None:
    """Create an operator (platform transaction)."""
    db = Database(settings, admin_url=admin_url)
    try:
        async with db.platform_session() as session, session.begin():
            await create_operator(session, settings, email=email, password=password)
    finally:
        await db.dispose()


@operators_app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The operator's email address.")],
    password: Annotated[str | None, typer.Option(help="Password; a random one is printed when omitted.")] = None,
) -> None:
    """Create a platform operator."""
    from marcus.cli import _fail, _prepare, _run

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        email = TypeAdapter(EmailAddress).validate_python(email)
        TypeAdapter(Password).validate_python(password)
    except ValidationError as exc:
        raise _fail(f"invalid email or password: {exc.errors()[0]['msg']}") from exc
    settings, admin_url, _ = _prepare()
    try:
        _run(provision_operator(settings, admin_url, email=email, password=password))
    except MarcusError as exc:
        raise _fail(exc.detail) from exc
    typer.echo(f"Created operator {email}.")
    if generated:
        typer.echo(f"Password: {password}")
