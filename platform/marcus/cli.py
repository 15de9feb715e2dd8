"""The ``marcus`` command: serve, migrate, manage tenants and list plugins."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg
import typer
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from marcus.config import Settings
from marcus.db import migrate
from marcus.db.engine import Database
from marcus.db.roles import app_role_problems
from marcus.demo import DemoReport, print_report, run_demo
from marcus.errors import MarcusError
from marcus.firstrun import database_problem, embedded_version_problem, port_problem, progress
from marcus.logs import configure_logging
from marcus.operators.cli import operators_app
from marcus.plugins import PluginError, PluginRegistry, load_plugins
from marcus.tenancy.manifests import sync_tenants, tenants_dir
from marcus.tenancy.models import Organization, OrganizationPlugin
from marcus.users.cli import users_app

T = TypeVar("T")
app = typer.Typer(help="Marcus: multi-tenant platform for service businesses.", no_args_is_help=True)
db_app = typer.Typer(help="Database: migrations and roles.", no_args_is_help=True)
tenants_app = typer.Typer(help="Workspaces (tenants).", no_args_is_help=True)
plugins_app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(plugins_app, name="plugins")
app.add_typer(users_app, name="users")
app.add_typer(operators_app, name="operators")


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def _prepare() -> tuple[Settings, str, PluginRegistry]:
    """Settings, the admin database URL (starting the embedded server if needed), plugins."""
    from marcus.app import resolve_admin_url

    settings = Settings()
    try:
        registry = load_plugins()
    except PluginError as exc:
        raise _fail(str(exc)) from exc
    if settings.embedded:
        if problem := embedded_version_problem(settings.data_dir):
            raise _fail(problem)
        pgdata = settings.data_dir / "pg"
        _say(f"Using the embedded PostgreSQL in {pgdata} (set MARCUS_DATABASE_URL to use another server)")
        with progress("Starting the embedded PostgreSQL"):
            try:
                return settings, resolve_admin_url(settings), registry
            except Exception as exc:
                raise _fail(f"the embedded PostgreSQL did not start ({exc}); its log is in {pgdata / 'log'}") from exc
    return settings, resolve_admin_url(settings), registry


def _upgrade(settings: Settings, admin_url: str, registry: PluginRegistry) -> None:
    with progress(f"Migrating the database ({len(registry.migrations) + 1} branches)"):
        migrate.upgrade(admin_url, settings, registry.migrations)
    _say("Database up to date")


async def _sync(settings: Settings, admin_url: str, registry: PluginRegistry) -> list[str]:
    db = Database(settings, admin_url=admin_url)
    try:
        return await sync_tenants(db, registry, tenants_dir(settings.tenants_dir))
    finally:
        await db.dispose()


async def _ownerless(settings: Settings, admin_url: str) -> list[tuple[str, str | None]]:
    """Active workspaces without an owner, with the owner email their manifest names."""
    from marcus.tenancy.manifests import read_manifests

    wanted = {m.slug: m.owner_email for m in read_manifests(tenants_dir(settings.tenants_dir))}
    db = Database(settings, admin_url=admin_url)
    try:
        async with db.platform_engine.connect() as conn:
            slugs = (await conn.execute(text(OWNERLESS))).scalars().all()
    finally:
        await db.dispose()
    return [(slug, wanted.get(slug)) for slug in slugs]


OWNERLESS = """
SELECT o.slug FROM organizations o
WHERE o.status = 'active' AND NOT EXISTS (
  SELECT 1 FROM role_assignments r JOIN users u ON u.organization_id = r.organization_id AND u.id = r.user_id
  WHERE r.organization_id = o.id AND r.role = 'owner' AND u.deleted_at IS NULL)
ORDER BY o.slug
"""


async def _role_problems(settings: Settings, admin_url: str) -> list[str]:
    db = Database(settings, admin_url=admin_url)
    try:
        return await app_role_problems(db.app_engine)
    finally:
        await db.dispose()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (MARCUS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MARCUS_PORT).")] = None,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate", help="Upgrade the database first.")] = True,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the background worker in this process (MARCUS_WORKER).")
    ] = True,
) -> None:
    """Migrate, sync tenants/ and serve the API, the portal and Socket.IO with uvicorn."""
    import uvicorn

    from marcus.app import create_app

    settings, admin_url, registry = _prepare()
    configure_logging(settings.log_level, json_output=settings.log_json)
    if problem := port_problem(host or settings.host, port or settings.port):
        raise _fail(problem)
    try:
        if migrate_first:
            _upgrade(settings, admin_url, registry)
            with progress("Applying the workspace manifests in tenants/"):
                report = _run(_sync(settings, admin_url, registry))
            for line in report:
                _say(f"Tenant {line}")
            for slug, email in _run(_ownerless(settings, admin_url)):
                _say(
                    f"Workspace '{slug}' has no owner yet. Create one with:\n"
                    f"  marcus users create {email or 'you@example.com'} --tenant {slug} --role owner\n"
                    f"or first look around with sample data and demo logins: marcus demo --tenant {slug}"
                )
    except MarcusError as exc:
        raise _fail(exc.detail) from exc
    if problems := _run(_role_problems(settings, admin_url)):
        raise _fail("refusing to serve:\n  " + "\n  ".join(problems))
    host, port = host or settings.host, port or settings.port
    _say(f"Marcus is starting on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    settings = settings.model_copy(update={"database_url": admin_url, "worker": worker and settings.worker})
    served = create_app(settings)
    _exit_zero_on_sigterm()
    uvicorn.run(
        served,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )


def _exit_zero_on_sigterm() -> None:
    """A graceful stop is a success: exit 0 once uvicorn has drained and re-raised SIGTERM.

    uvicorn finishes in-flight requests and the lifespan, restores the previous handler and
    raises the signal again; with the default handler the process would die by SIGTERM (143).
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


@app.command("worker")
def worker_command() -> None:
    """Run the background worker (outbox relay, mail, jobs) without serving HTTP; stop with SIGTERM/Ctrl-C."""
    from marcus.app import create_app
    from marcus.worker import run_until

    settings, admin_url, _ = _prepare()
    configure_logging(settings.log_level, json_output=settings.log_json)
    worker_app = create_app(settings.model_copy(update={"database_url": admin_url, "worker": True}))
    _say("Marcus worker running (Ctrl-C to stop)")
    asyncio.run(_work(worker_app, run_until))


async def _work(worker_app: Any, run_until: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_until(worker_app, stop)
    finally:
        await worker_app.kernel.db.dispose()


@app.command()
def doctor() -> None:
    """Check configuration and deployment safety, one line each; exit 1 on any failure."""
    from marcus.doctor import Doctor

    settings, admin_url, registry = _prepare()
    findings = _run(Doctor(settings, admin_url, registry.migrations).run())
    for finding in findings:
        colour = {"ok": typer.colors.GREEN, "warn": typer.colors.YELLOW, "fail": typer.colors.RED}[finding.status]
        typer.secho(finding.line(), fg=colour)
    failed = [f for f in findings if f.status == "fail"]
    typer.echo(f"{len(findings) - len(failed)} of {len(findings)} checks passed")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def demo(
    tenant: Annotated[str | None, typer.Option(help="Workspace slug (default: MARCUS_DEFAULT_TENANT).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Add the demo even where there are real users.")] = False,
) -> None:
    """Fill a workspace with sample data and print the demo logins (idempotent)."""
    settings, admin_url, registry = _prepare()
    try:
        _upgrade(settings, admin_url, registry)
        with progress("Applying the workspace manifests in tenants/"):
            _run(_sync(settings, admin_url, registry))
        report = _run(_demo(settings.model_copy(update={"database_url": admin_url, "worker": False}), tenant, force))
    except MarcusError as exc:
        raise _fail(exc.detail) from exc
    print_report(report, settings, typer.echo)


async def _demo(settings: Settings, slug: str | None, force: bool) -> DemoReport:
    """Run the demo in an app of its own (entered, without the background worker)."""
    from marcus.app import create_app

    served = create_app(settings)
    async with served.api.router.lifespan_context(served.api):
        return await run_demo(served.kernel, slug=slug or settings.default_tenant, force=force, step=progress)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create roles where allowed and upgrade the kernel and every plugin branch to its head."""
    settings, admin_url, registry = _prepare()
    _upgrade(settings, admin_url, registry)


@db_app.command("status")
def db_status() -> None:
    """Show whether every migration branch is at its head."""
    _, admin_url, registry = _prepare()
    try:
        applied, heads = migrate.current_heads(admin_url, registry.migrations)
    except OperationalError as exc:
        raise _fail(f"cannot read the database ({str(exc.orig).strip()}); `marcus db upgrade` creates it") from exc
    for head in sorted(heads):
        typer.echo(f"{head}: {'applied' if head in applied else 'PENDING'}")
    if heads - applied:
        raise typer.Exit(code=1)


@tenants_app.command("sync")
def tenants_sync() -> None:
    """Apply every manifest in tenants/ (idempotent)."""
    settings, admin_url, registry = _prepare()
    try:
        for line in _run(_sync(settings, admin_url, registry)):
            typer.echo(line)
    except MarcusError as exc:
        raise _fail(exc.detail) from exc


async def _tenant_rows(settings: Settings, admin_url: str) -> list[tuple[Organization, list[str]]]:
    db = Database(settings, admin_url=admin_url)
    try:
        async with db.platform_session() as session:
            orgs = list(await session.scalars(select(Organization).order_by(Organization.slug)))
            plugins = (
                await session.execute(
                    select(OrganizationPlugin.organization_id, OrganizationPlugin.plugin).where(
                        OrganizationPlugin.enabled
                    )
                )
            ).all()
    finally:
        await db.dispose()
    return [(o, sorted(p for org_id, p in plugins if org_id == o.id)) for o in orgs]


@tenants_app.command("purge")
def tenants_purge(
    slug: Annotated[str, typer.Argument(help="The workspace to delete for good.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this deletes all of its data.")] = False,
) -> None:
    """Delete a workspace and all of its data (plugins' purge hooks run first)."""
    if not yes:
        raise _fail(f"this deletes '{slug}' and all of its data; repeat with --yes to confirm")
    settings, admin_url, registry = _prepare()
    _run(_purge(settings, admin_url, registry, slug))
    typer.echo(f"purged {slug}")


async def _purge(settings: Settings, admin_url: str, registry: PluginRegistry, slug: str) -> None:
    from marcus.tenancy.service import purge_organization

    db = Database(settings, admin_url=admin_url)
    try:
        async with db.platform_session() as session, session.begin():
            org = await session.scalar(select(Organization).where(Organization.slug == slug))
            if org is None:
                raise _fail(f"no workspace '{slug}'")
            await purge_organization(session, registry, org)
    finally:
        await db.dispose()


@tenants_app.command("list")
def tenants_list() -> None:
    """List workspaces with their status and enabled plugins."""
    settings, admin_url, _ = _prepare()
    for org, plugins in _run(_tenant_rows(settings, admin_url)):
        typer.echo(f"{org.slug:<24} {org.status:<10} {org.name:<30} plugins: {', '.join(plugins) or '-'}")


@plugins_app.command("new")
def plugins_new(
    name: Annotated[str, typer.Argument(help="Plugin name: lowercase letters, digits and _.")],
    path: Annotated[Path, typer.Option(help="Folder in which to create marcus-<name>/.")] = Path("."),
) -> None:
    """Create a new plugin as its own distribution (package, migration, routes, tests)."""
    from marcus.scaffold import ScaffoldError, create

    try:
        target = create(name, path)
    except ScaffoldError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"Created {target}")
    typer.echo(f"Next: pip install -e {target} && marcus db upgrade, then enable '{name}' for a workspace.")


@plugins_app.command("hooks")
def plugins_hooks() -> None:
    """Print the hook reference (the same text as docs/plugins.md)."""
    from marcus.plugin_docs import hooks_reference

    typer.echo(hooks_reference())


@plugins_app.command("list")
def plugins_list() -> None:
    """List installed plugins and the workspaces that enabled each."""
    settings, admin_url, registry = _prepare()
    rows = _run(_tenant_rows(settings, admin_url))
    if not registry.plugins:
        typer.echo("No plugins installed.")
    for name, plugin in registry.plugins.items():
        enabled = [org.slug for org, plugins in rows if name in plugins]
        deps = f" (depends on {', '.join(plugin.manifest.depends_on)})" if plugin.manifest.depends_on else ""
        typer.echo(f"{name} {plugin.manifest.version}{deps}: enabled for {', '.join(enabled) or 'no workspace'}")


def main() -> None:
    """Entry point of the ``marcus`` script."""
    try:
        app()
    except PluginError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except (OperationalError, psycopg.OperationalError) as exc:
        url = Settings().database_url
        typer.secho(f"error: {database_problem(exc, url)}", err=True, fg=typer.colors.RED)
        sys.exit(1)
