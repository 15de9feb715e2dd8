"""The three database roles and the checks that keep the app role honest.

* owner    - owns every table, runs migrations (``SET ROLE`` from the admin connection);
* app      - serves requests: not owner, not superuser, no BYPASSRLS, so RLS always applies;
* platform - BYPASSRLS, used only by named cross-tenant jobs (provisioning, tenant directory,
  outbox relay, platform reports).

``ensure_roles`` creates them where the admin connection may (embedded, CI); on a managed
database an administrator creates them once (docs/operations.md) and Marcus only checks.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from marcus.config import Settings

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def libpq_url(url: str) -> str:
    """A plain ``postgresql://`` URL for psycopg from an SQLAlchemy one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _maintenance_url(admin_url: str) -> str:
    return libpq_url(make_url(admin_url).set(database="postgres").render_as_string(hide_password=False))


def ensure_database(admin_url: str) -> None:
    """Create the database named in ``admin_url`` when it does not exist yet."""
    name = make_url(admin_url).database
    assert name, "the database URL must name a database"
    try:
        psycopg.connect(libpq_url(admin_url), connect_timeout=10).close()
        return  # it exists: no need for the maintenance database (managed services may lack it)
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(_maintenance_url(admin_url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _may_create_roles(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


def _ensure_role(conn: psycopg.Connection[tuple[object, ...]], name: str, attributes: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(sql.SQL(f"{verb} ROLE {{}} WITH {attributes}").format(sql.Identifier(name)))


def ensure_roles(admin_url: str, settings: Settings) -> bool:
    """Create or correct the three roles and their grants; False when the admin may not (managed)."""
    roles = (settings.db_owner_role, settings.db_app_role, settings.db_platform_role)
    owner, app, platform = (sql.Identifier(r) for r in roles)
    database = sql.Identifier(make_url(admin_url).database or "postgres")
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        if not _may_create_roles(conn):
            return False  # a managed database: the roles were made by an administrator
    with psycopg.connect(_maintenance_url(admin_url), autocommit=True) as conn, conn.transaction():
        # Roles are cluster-wide and advisory locks per database: lock in the maintenance
        # database so parallel setups (test runs, replicas) do not race on ALTER ROLE.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('marcus.ensure_roles'))")
        _ensure_role(conn, settings.db_owner_role, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE")
        _ensure_role(conn, settings.db_app_role, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOINHERIT")
        _ensure_role(conn, settings.db_platform_role, "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOINHERIT")
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        for statement in (
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}, {app}, {platform}",
            "GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
            "GRANT USAGE ON SCHEMA public TO {app}, {platform}",
        ):
            conn.execute(sql.SQL(statement).format(db=database, owner=owner, app=app, platform=platform))
    return True


def grant_sql(settings: Settings) -> list[sql.Composed]:
    """Grants the owner gives the app and platform roles on everything migrations created."""
    ids = {"app": sql.Identifier(settings.db_app_role), "platform": sql.Identifier(settings.db_platform_role)}
    statements = [
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {{app}}, {{platform}}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}, {platform}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {TABLE_PRIVILEGES} ON TABLES TO {{app}}, {{platform}}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}, {platform}",
        # Only the owner records migrations.
        "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {app}, {platform}",
    ]
    return [sql.SQL(s).format(**ids) for s in statements]


async def app_role_problems(engine: AsyncEngine) -> list[str]:
    """Why the role behind ``engine`` must not serve requests (empty when it is safe)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT current_user, r.rolsuper, r.rolbypassrls,"
                    " (SELECT count(*) FROM pg_tables t WHERE t.tableowner = current_user"
                    "  AND t.schemaname NOT IN ('pg_catalog', 'information_schema'))"
                    " FROM pg_roles r WHERE r.rolname = current_user"
                )
            )
        ).one()
    role, superuser, bypass, owned = row
    fix = (
        "serve with the dedicated app role (MARCUS_APP_DATABASE_URL, role MARCUS_DB_APP_ROLE, created by "
        "`marcus db upgrade` or by the SQL in docs/operations.md), never with an administrator"
    )
    problems = []
    if superuser:
        problems.append(f"the app role '{role}' is a superuser, which bypasses row-level security: {fix}")
    if bypass:
        problems.append(f"the app role '{role}' has BYPASSRLS: {fix}")
    if owned:
        problems.append(
            f"the app role '{role}' owns {owned} table(s), so FORCE RLS is its only guard: "
            "run migrations as the owner role (MARCUS_DB_OWNER_ROLE) and ALTER TABLE ... OWNER TO it"
        )
    return problems
