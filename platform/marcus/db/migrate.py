"""Alembic orchestration: one environment, one version table, the kernel branch plus one
branch per installed plugin (from ``register_migrations``). ``upgrade`` = upgrade ``heads``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, pool, text

from marcus.config import Settings
from marcus.db.base import Base
from marcus.db.engine import to_async_url
from marcus.db.roles import ensure_database, ensure_roles, grant_sql
from marcus.declarations import MigrationSource

KERNEL_BRANCH = "kernel"


def migrations_dir() -> Path:
    """The Alembic environment: packaged in the wheel, or ``migrations/`` of a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_migrations"
    return packaged if packaged.is_dir() else here.parents[1] / "migrations"


def alembic_config(sources: Sequence[MigrationSource] = ()) -> Config:
    """An Alembic config whose version locations are the kernel's and every plugin's."""
    root = migrations_dir()
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    locations = [str(root / "versions"), *(str(s.path) for s in sources)]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


def sync_url(url: str) -> str:
    return to_async_url(url)  # psycopg 3 serves both the sync and the async engine


def upgrade(
    admin_url: str, settings: Settings, sources: Sequence[MigrationSource] = (), *, revision: str = "heads"
) -> None:
    """Create the database and roles where allowed, upgrade every branch, grant the app roles."""
    ensure_database(admin_url)
    ensure_roles(admin_url, settings)
    cfg = alembic_config(sources)
    engine = create_engine(sync_url(admin_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            _become_owner(conn, settings)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            for statement in grant_sql(settings):
                conn.exec_driver_sql(statement.as_string())
    finally:
        engine.dispose()


def current_heads(admin_url: str, sources: Sequence[MigrationSource] = ()) -> tuple[set[str], set[str]]:
    """(revisions applied, heads available): every head is applied when the database is up to date.

    ``alembic_version`` stores only the newest revisions; everything below them (down revisions
    and dependencies: a plugin branch depending on a kernel revision) is applied too.
    """
    script = ScriptDirectory.from_config(alembic_config(sources))
    engine = create_engine(sync_url(admin_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
            applied = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) if exists else set()
    finally:
        engine.dispose()
    if applied:
        applied |= {r.revision for r in script.iterate_revisions(tuple(applied), "base") if r is not None}
    return applied, set(script.get_heads())


def _become_owner(conn: Connection, settings: Settings) -> None:
    """Create objects as the owner role even when connected as an administrator."""
    me = conn.execute(text("SELECT current_user")).scalar()
    if me != settings.db_owner_role:
        role = settings.db_owner_role.replace('"', '""')
        conn.exec_driver_sql(f'SET ROLE "{role}"')


def run_environment(context: EnvironmentContext, target_metadata: MetaData | None = None) -> None:
    """Body of ``migrations/env.py``: use the connection ``upgrade`` handed over, or the settings'."""
    connection: Connection | None = context.config.attributes.get("connection")
    options: dict[str, Any] = {"target_metadata": target_metadata or Base.metadata, "compare_type": True}
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    settings = Settings()
    if not settings.database_url:
        raise SystemExit("set MARCUS_DATABASE_URL (or use `marcus db upgrade`, which starts the embedded server)")
    engine = create_engine(sync_url(settings.database_url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _become_owner(conn, settings)
        context.configure(connection=conn, **options)
        with context.begin_transaction():
            context.run_migrations()
