"""Engines and sessions: the app role's tenant-bound sessions and the platform role's.

The tenant is bound per transaction in ``after_begin`` with ``set_config(..., true)``, so it
never outlives the transaction on a pooled connection. A tenant session with no tenant raises.

Pooled connections are pinged only when they come back after ``IDLE_PING_SECONDS`` of rest: a
busy pool (connections checked in and out within milliseconds) pays no ping round trip per
request, and a connection that sat idle through a database restart or a cut is found dead
before use and replaced, as ``pool_pre_ping`` would (docs/decisions.md §22).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import ClauseElement, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from marcus.config import Settings

ORG_KEY = "org_id"
BINDS_ITSELF = "marcus.first_statement_binds"  # set by bound_by_first_statement() only
BUS_KEY = "marcus.bus"
BIND_SQL = "SELECT set_config('marcus.org_id', %s, true)"
IDLE_PING_SECONDS = 1.0
_RESTED_SINCE = "marcus.rested_since"
_PSYCOPG = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]


class TenantNotBound(RuntimeError):
    """A tenant session began a transaction without a tenant: a bug, never a user error."""


class TenantSession(Session):
    """Sync session class behind every tenant ``AsyncSession``."""


class CrossTenantWrite(RuntimeError):
    """A tenant session tried to write a row belonging to another tenant."""


@event.listens_for(TenantSession, "after_begin")
def _bind_tenant(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    org = session.info.get(ORG_KEY)
    if org is None:
        raise TenantNotBound("tenant session used without a tenant: open it with Database.tenant_session(org_id)")
    if session.info.pop(BINDS_ITSELF, None) == org:
        return  # the transaction's first statement binds ``org`` itself (see bound_by_first_statement)
    connection.exec_driver_sql(BIND_SQL, (str(org),))


@asynccontextmanager
async def bound_by_first_statement(session: AsyncSession, org_id: uuid.UUID) -> AsyncIterator[bool]:
    """Let the statement run in this block bind ``org_id`` itself, saving the binding's round trip.

    Yields True when it applies: ``session`` is a tenant session of ``org_id`` with no
    transaction open, so the next statement begins one; that statement must then bind the
    tenant before it reads anything (``marcus_session_email`` does: ``set_config`` first, in
    plpgsql, so the order is guaranteed). Yields False otherwise: the tenant was bound as usual
    and the statement's own binding is a harmless repeat. The marker never outlives the block,
    so no later transaction can begin unbound by mistake.
    """
    applies = session.info.get(ORG_KEY) == org_id and not session.in_transaction()
    if applies:
        session.info[BINDS_ITSELF] = org_id
    try:
        yield applies
    finally:
        session.info.pop(BINDS_ITSELF, None)


async def psycopg_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under ``session``'s transaction, for a hot fixed statement that
    needs none of SQLAlchemy's execution path. Begins the transaction as any statement would
    (the tenant is bound as always); psycopg's errors are mapped like SQLAlchemy's."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert isinstance(raw, psycopg.AsyncConnection)
    return raw


def psycopg_sql(statement: ClauseElement) -> str:
    """``statement`` compiled for psycopg: the SQL text with ``%(name)s`` parameters.

    Compile once (at import, or cached per statement shape) and run it with
    ``psycopg_connection`` / ``fetch_dicts``. Name every parameter with ``bindparam("name")``:
    anonymous ones are numbered by the compiler, and the values are passed by name.
    """
    return str(statement.compile(dialect=_PSYCOPG))


async def fetch_dicts(session: AsyncSession, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run ``sql`` (see ``psycopg_sql``) in ``session``'s transaction on psycopg and return its
    rows as dicts, column name to value (psycopg's own types: no SQLAlchemy result processing)."""
    raw = await psycopg_connection(session)
    async with raw.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchall()


@event.listens_for(TenantSession, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    org = session.info[ORG_KEY]
    for obj in session.new:
        if getattr(obj, "__tenant_scoped__", False):
            current = getattr(obj, "organization_id", None)
            if current is None:
                obj.organization_id = org
            elif current != org:
                raise CrossTenantWrite(f"{type(obj).__name__} belongs to another tenant than this session")


def ping_when_rested(engine: AsyncEngine, rest: float = IDLE_PING_SECONDS) -> AsyncEngine:
    """Ping a pooled connection at check-out only if it rested ``rest`` seconds or more.

    A failed ping raises ``DisconnectionError``: the pool drops that connection and checks out
    another (SQLAlchemy's pessimistic disconnect handling), so the request never sees it.
    """
    sync = engine.sync_engine

    @event.listens_for(sync, "checkin")
    def _rested(_dbapi: Any, record: Any) -> None:
        record.info[_RESTED_SINCE] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _ping(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_RESTED_SINCE)
        if since is None or time.monotonic() - since < rest:
            return  # a new connection, or one back from the pool within the second
        try:
            sync.dialect.do_ping(dbapi)
        except Exception as exc:
            raise sa_exc.DisconnectionError(
                f"a rested pooled connection failed its ping: {type(exc).__name__}"
            ) from exc

    return engine


def to_async_url(url: str) -> str:
    """Use psycopg 3 whatever driver the URL names."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def role_url(url: str, role: str, password: str | None = None) -> str:
    """The same server and database as ``url`` with another login role."""
    return make_url(to_async_url(url)).set(username=role, password=password).render_as_string(hide_password=False)


class Database:
    """The app engine (tenant sessions, RLS enforced) and the platform engine (cross-tenant jobs)."""

    def __init__(self, settings: Settings, *, admin_url: str) -> None:
        app_url = settings.app_database_url or role_url(admin_url, settings.db_app_role)
        platform_url = settings.platform_database_url or role_url(admin_url, settings.db_platform_role)
        pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
        self.app_engine: AsyncEngine = ping_when_rested(create_async_engine(to_async_url(app_url), **pool))
        self.platform_engine: AsyncEngine = ping_when_rested(
            create_async_engine(to_async_url(platform_url), pool_size=3)
        )
        self._tenant_sessions = async_sessionmaker(
            self.app_engine, expire_on_commit=False, sync_session_class=TenantSession
        )
        self._platform_sessions = async_sessionmaker(self.platform_engine, expire_on_commit=False)
        self.bus: Any = None  # the kernel's EventBus, handed to every tenant session for publish()

    def tenant_session(self, org_id: uuid.UUID) -> AsyncSession:
        """A session whose every transaction is bound to ``org_id`` (row-level security applies)."""
        session = self._tenant_sessions()
        session.info[ORG_KEY] = org_id
        session.info[BUS_KEY] = self.bus
        return session

    def unbound_session(self) -> AsyncSession:
        """A tenant-class session with no tenant: any use raises ``TenantNotBound``."""
        return self._tenant_sessions()

    def platform_session(self) -> AsyncSession:
        """A session as the platform role (BYPASSRLS), for named cross-tenant jobs only."""
        return self._platform_sessions()

    @asynccontextmanager
    async def tenant_transaction(self, org_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        """Open a tenant session, commit on success, roll back on error."""
        async with self.tenant_session(org_id) as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.app_engine.dispose()
        await self.platform_engine.dispose()
