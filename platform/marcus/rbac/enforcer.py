"""The enforcer: one pycasbin RBAC-with-domains model per app, domain = organization id.

Policy layout, kept small so a check looks at a handful of rules:

* domain ``*`` (built once at startup): ``p, <template>, *, <permission>, <scope>`` for the
  role templates, and one "grant atom" per permission and scope, ``p, grant:<perm>:<scope>, *,
  <perm>, <scope>``;
* per tenant (loaded lazily through a tenant session, so RLS applies): only ``g`` links,
  ``u:<user> -> <role>`` for assignments and ``<custom role> -> grant:<perm>:<scope>`` for
  custom roles, in domain ``<org>`` of casbin's role manager. Custom roles add no ``p`` rule,
  so the rules scanned per check do not grow with the number of tenants.

Policies are indexed by (permission, scope) (casbin ``FastEnforcer``); a check asks for
``any`` then ``own``. Decisions are memoised per tenant until its policy changes.

Freshness across replicas: every policy change bumps the tenant's version in its transaction.
A replica's copy of a tenant is trusted for ``recheck_seconds``; a background poller reads the
versions of every tenant it holds in one query per interval (platform role) and marks the
changed ones stale, which reload on their next check. With ``recheck_seconds == 0`` (tests)
every check compares the version. Redis pub/sub (``MARCUS_REDIS_URL``) makes remote changes
visible at once; the version check bounds staleness when a message is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import casbin
from casbin.model import FastModel
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from marcus.config import Settings
from marcus.db.engine import Database
from marcus.declarations import Permission, Scope
from marcus.errors import Unavailable
from marcus.rbac.notify import RedisNotifier
from marcus.rbac.permissions import SCOPES, declared_permissions, template_grants
from marcus.rbac.version import CHANGED_KEY, TenantPolicy, load_policy, versions_of

log = logging.getLogger("marcus.rbac")

MODEL = """
[request_definition]
r = sub, dom, obj, scope

[policy_definition]
p = sub, dom, obj, scope

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.scope == p.scope && g(r.sub, p.sub, r.dom) && p.dom == "*"
"""
INDEX = [2, 3]  # (permission, scope): the rules a check scans
MAX_RECHECK_SECONDS = 1.0
IDLE_SECONDS = 600.0
MAX_DECISIONS = 50_000


def subject(user_id: uuid.UUID | str) -> str:
    """The casbin subject of a user (roles are bare names, so they never collide with users)."""
    return f"u:{user_id}"


def grant_atom(permission: str, scope: str) -> str:
    return f"grant:{permission}:{scope}"


@dataclass(eq=False)
class _Tenant:
    version: int = -1
    links: list[tuple[str, str]] = field(default_factory=list)
    fresh_until: float = 0.0
    generation: int = 0
    used_at: float = 0.0
    decisions: dict[tuple[uuid.UUID, str], Scope | None] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class PolicyEnforcer:
    """Answers "may this user do this in this workspace, and on which rows?" for one app."""

    def __init__(
        self,
        db: Database,
        permissions: Mapping[str, Permission],
        *,
        recheck_seconds: float = MAX_RECHECK_SECONDS,
        redis_url: str | None = None,
    ) -> None:
        self.db = db
        self.permissions = declared_permissions(permissions)
        self.recheck_seconds = recheck_seconds
        self.templates: dict[str, dict[str, Scope]] = {}
        for row in template_grants(self.permissions.values()):
            self.templates.setdefault(row.role, {})[row.permission] = row.scope
        self._casbin = self._build()
        # Tenant links go straight to casbin's role manager (what ``g()`` consults): adding them
        # as ``g`` policy rules would cost a scan of every tenant's rules per added link.
        self._roles = self._casbin.get_role_manager()
        self._tenants: dict[uuid.UUID, _Tenant] = {}
        self._engines = {db.app_engine.sync_engine, db.platform_engine.sync_engine}
        self._notifier = RedisNotifier(redis_url, self.invalidate, self.invalidate_all) if redis_url else None
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_settings(cls, db: Database, permissions: Mapping[str, Permission], settings: Settings) -> PolicyEnforcer:
        """Trust a tenant's cached policy no longer than the tenant cache, and at most one second."""
        recheck = min(settings.tenant_cache_ttl, MAX_RECHECK_SECONDS)
        return cls(db, permissions, recheck_seconds=recheck, redis_url=settings.redis_url)

    def _build(self) -> Any:
        model = FastModel(INDEX)
        model.load_model_from_text(MODEL)
        enforcer = casbin.FastEnforcer(model, cache_key_order=INDEX)
        rules = [[row.role, "*", row.permission, row.scope] for row in template_grants(self.permissions.values())]
        rules += [[grant_atom(name, scope), "*", name, scope] for name in self.permissions for scope in SCOPES]
        enforcer.add_policies(rules)
        return enforcer

    @property
    def held(self) -> tuple[int, int, int]:
        """(tenants held, role links held, ``p`` rules): the size of this replica's policy."""
        links = sum(len(t.links) for t in self._tenants.values())
        return len(self._tenants), links, len(self._casbin.get_policy())

    # ---------------------------------------------------------------------------------- checks

    async def check(
        self, org_id: uuid.UUID, user_id: uuid.UUID, permission: str, *, session: AsyncSession | None = None
    ) -> Scope | None:
        """The scope ``user_id`` holds ``permission`` with in ``org_id``, or None when denied.

        ``session`` (the request's, bound to ``org_id``) is used to reload a stale policy, so a
        check never needs a second pooled connection while the request holds one.
        """
        tenant = await self._fresh(org_id, session)
        key = (user_id, permission)
        if key in tenant.decisions:
            return tenant.decisions[key]
        scope = self.enforce(org_id, user_id, permission)
        if len(tenant.decisions) >= MAX_DECISIONS:
            tenant.decisions.clear()
        tenant.decisions[key] = scope
        return scope

    def enforce(self, org_id: uuid.UUID, user_id: uuid.UUID, permission: str) -> Scope | None:
        """Ask casbin directly (no memo, no freshness check): ``any``, then ``own``."""
        sub, dom = subject(user_id), str(org_id)
        for scope in SCOPES:
            if self._casbin.enforce(sub, dom, permission, scope):
                return scope
        return None

    async def holdings(self, org_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Scope]:
        """Every declared permission ``user_id`` holds in ``org_id``, with its scope."""
        held = {}
        for name in self.permissions:
            if scope := await self.check(org_id, user_id, name):
                held[name] = scope
        return held

    # --------------------------------------------------------------------------- tenant cache

    async def _fresh(self, org_id: uuid.UUID, session: AsyncSession | None = None) -> _Tenant:
        now = time.monotonic()
        tenant = self._tenants.get(org_id)
        if tenant is None:
            tenant = self._tenants[org_id] = _Tenant()
        tenant.used_at = now
        if now < tenant.fresh_until:
            return tenant
        async with tenant.lock:
            if time.monotonic() >= tenant.fresh_until:
                await self._refresh(org_id, tenant, session)
        return tenant

    async def _refresh(self, org_id: uuid.UUID, tenant: _Tenant, session: AsyncSession | None = None) -> None:
        generation, started = tenant.generation, time.monotonic()
        try:
            if session is not None:
                policy = await load_policy(session, org_id, known=tenant.version)
            else:
                async with self.db.tenant_transaction(org_id) as own:
                    policy = await load_policy(own, org_id, known=tenant.version)
        except DBAPIError as exc:
            log.warning("loading the policy of %s failed: %s", org_id, type(exc).__name__)
            raise Unavailable("Permissions cannot be checked right now.", code="rbac_unavailable") from exc
        if policy.assignments is not None:
            self._install(org_id, tenant, policy)
        if tenant.generation == generation:
            tenant.fresh_until = started + self.recheck_seconds

    def _install(self, org_id: uuid.UUID, tenant: _Tenant, policy: TenantPolicy) -> None:
        """Swap the tenant's links (synchronous: no other check interleaves)."""
        links = {(subject(user), role) for user, role in policy.assignments or ()}
        for role, grants in (policy.custom_roles or {}).items():
            links |= {(role, grant_atom(p, s)) for p, s in grants.items() if s in SCOPES}
        self._unlink(org_id, tenant)
        dom = str(org_id)
        for user, role in sorted(links):
            self._roles.add_link(user, role, dom)
        tenant.links = sorted(links)
        tenant.version = policy.version
        tenant.decisions.clear()

    def _unlink(self, org_id: uuid.UUID, tenant: _Tenant) -> None:
        dom = str(org_id)
        for user, role in tenant.links:
            self._roles.delete_link(user, role, dom)
        tenant.links = []
        # The links are gone (public API above); also free the domain's now empty structures.
        # These are pycasbin DomainManager internals: if they move, only memory is affected.
        for attr in ("all_links", "rm_map"):
            getattr(self._roles, attr, {}).pop(dom, None)

    def invalidate(self, org_id: uuid.UUID, version: int | None = None) -> None:
        """Mark ``org_id``'s cached policy stale (unless it already is at ``version``)."""
        tenant = self._tenants.get(org_id)
        if tenant is None or (version is not None and version <= tenant.version):
            return
        tenant.generation += 1
        tenant.fresh_until = 0.0

    def invalidate_all(self) -> None:
        """Mark every cached tenant stale (e.g. after missing notifications)."""
        for org_id in list(self._tenants):
            self.invalidate(org_id)

    def forget(self, org_id: uuid.UUID) -> None:
        """Drop ``org_id``'s links and memo from memory (it reloads on its next check)."""
        tenant = self._tenants.pop(org_id, None)
        if tenant is not None:
            self._unlink(org_id, tenant)

    # ----------------------------------------------------------------- cross-replica freshness

    async def poll_once(self) -> None:
        """Compare the versions of every held tenant in one query; mark changed ones stale."""
        self._evict_idle()
        held = {org: t for org, t in self._tenants.items() if t.version >= 0}
        if not held:
            return
        started, generations = time.monotonic(), {org: t.generation for org, t in held.items()}
        async with self.db.platform_session() as session:
            current = await versions_of(session, list(held))
        for org, tenant in held.items():
            if self._tenants.get(org) is not tenant:
                continue
            if current[org] != tenant.version:
                self.invalidate(org)
            elif tenant.generation == generations[org]:
                tenant.fresh_until = max(tenant.fresh_until, started + self.recheck_seconds)

    def _evict_idle(self) -> None:
        cutoff = time.monotonic() - IDLE_SECONDS
        for org_id in [org for org, t in self._tenants.items() if t.used_at < cutoff and not t.lock.locked()]:
            self.forget(org_id)

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_seconds / 2)
            try:
                await self.poll_once()
            except Exception as exc:  # the next check of a tenant rechecks on its own
                log.warning("policy version poll failed: %s", type(exc).__name__)

    def _after_commit(self, session: Session) -> None:
        if session.bind not in self._engines:
            return
        for org_id, version in session.info.pop(CHANGED_KEY, {}).items():
            self.invalidate(org_id, version)
            if self._notifier is not None:
                self._spawn(self._notifier.publish(org_id, version))

    def _after_rollback(self, session: Session) -> None:
        if session.bind in self._engines:
            session.info.pop(CHANGED_KEY, None)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While the app runs: watch commits, poll versions, listen to Redis when configured."""
        event.listen(Session, "after_commit", self._after_commit)
        event.listen(Session, "after_rollback", self._after_rollback)
        try:
            async with contextlib.AsyncExitStack() as stack:
                if self._notifier is not None:
                    await stack.enter_async_context(self._notifier.running())
                if self.recheck_seconds > 0:
                    self._spawn(self._poll_forever())
                yield
        finally:
            event.remove(Session, "after_commit", self._after_commit)
            event.remove(Session, "after_rollback", self._after_rollback)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
