"""The hooks a Marcus plugin may implement, grouped by lifecycle.

Registration hooks are pure: the kernel calls each once at startup, validates what they
return and refuses to start on a duplicate or un-namespaced name. Lifecycle hooks run while
Marcus runs; the async ones are awaited by the kernel, one plugin at a time, each isolated so
that one plugin's failure never skips another's.

A plugin implements a hook with ``@marcus.hookimpl`` on a function of the same name in its
``plugin.py``, taking only the arguments it uses. A misspelt hook name stops startup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.ext.asyncio import AsyncSession

    from marcus.declarations import DashboardWidget, EventHandler, Job, MigrationSource, PageSet, Permission
    from marcus.demo import DemoContext
    from marcus.events.model import Event
    from marcus.tenancy.models import Organization

PROJECT = "marcus"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

PLUGIN_API_VERSION = "1.1"
"""The version of this hook surface. A minor bump adds hooks or arguments; a major bump removes
or changes one, after a deprecation period of at least one minor version."""


@dataclass(frozen=True, kw_only=True)
class Deprecation:
    """A hook on its way out: plugins implementing it load with a warning naming the fix."""

    since: str
    removal: str
    use: str


DEPRECATED_HOOKS: dict[str, Deprecation] = {}
"""Hook name -> its deprecation. Empty in API 1.0; a hook is listed here for at least one minor
version before a major version removes it."""

# --------------------------------------------------------------------------------------------
# Registration: called once at startup, must be pure and fast.
# --------------------------------------------------------------------------------------------


@hookspec
def register_routers() -> APIRouter | Sequence[APIRouter]:
    """Return the plugin's API router(s).

    The kernel mounts them under ``/api/v1/<plugin>`` and answers 404 for tenants that have
    not enabled the plugin. Routes should declare response models and one-line docstrings.
    """


@hookspec
def register_root_routers() -> APIRouter | Sequence[APIRouter]:
    """Return routers served at the site root instead of under ``/api/v1/<plugin>`` (API 1.1).

    For a plugin that keeps an existing HTTP contract at its original paths (``compat`` serves
    the single-business backend's ``/user/login``). A root route answers only for workspaces
    that enabled the plugin and never for a browser page load (``Accept: text/html``): those
    requests fall through to the portal's pages and the kernel's 404. Paths under ``/api``,
    ``/ws``, ``/static``, ``/socket.io``, ``/docs`` and the probes are refused at startup.
    """


@hookspec
def register_models() -> Sequence[type[Any]]:
    """Return the plugin's SQLAlchemy model classes (subclasses of ``marcus.Base``).

    Tenant-owned models must use ``marcus.TenantScoped``; the kernel checks they do and lists
    them in the cross-tenant isolation contract.
    """


@hookspec
def register_migrations() -> MigrationSource:
    """Return the plugin's Alembic ``versions`` folder and its branch label.

    The branch's first revision depends on the kernel revision it needs (``kernel@head`` or a
    named one). ``marcus db upgrade`` upgrades every branch to its head.
    """


@hookspec
def register_permissions() -> Sequence[Permission]:
    """Return the permissions the plugin checks, named ``<plugin>.<resource>:<action>``.

    Each carries the default scope per role template (owner, admin, staff, customer). A
    name claimed by two plugins, or not starting with the plugin's name, refuses startup.
    """


@hookspec
def register_socketio_namespaces() -> Sequence[Any]:
    """Return ``socketio.AsyncNamespace`` instances, each named ``/<plugin>`` or ``/<plugin>-...``.

    The kernel refuses a connection to a namespace whose plugin the tenant has not enabled.
    """


@hookspec
def register_event_types() -> Sequence[type[Event]]:
    """Return the ``marcus.Event`` subclasses the plugin publishes, named ``<plugin>.<past_tense>``.

    ``publish()`` refuses an unregistered event; the relay parses payloads back into these classes.
    """


@hookspec
def register_event_handlers() -> Sequence[EventHandler]:
    """Return the plugin's subscriptions to events (its own or other plugins')."""


@hookspec
def register_dashboard_widgets() -> Sequence[DashboardWidget]:
    """Return the blocks the plugin adds to a tenant's dashboard (names ``<plugin>.<widget>``)."""


@hookspec
def register_jobs() -> Sequence[Job]:
    """Return scheduled jobs (names ``<plugin>.<job>``) run by the worker, once per tenant at a time."""


@hookspec
def register_pages() -> PageSet:
    """Return the plugin's portal pages: an HTML router, its templates folder and menu entries."""


# --------------------------------------------------------------------------------------------
# Lifecycle: called while Marcus runs.
# --------------------------------------------------------------------------------------------


@hookspec
def plugin_lifespan(app: Any) -> AbstractAsyncContextManager[None] | AsyncIterator[None] | None:
    """Return an async context manager entered at startup (in dependency order) and exited at shutdown.

    It runs in every Marcus process: API replicas and ``marcus worker`` alike. Use it for
    clients and background tasks the plugin owns. Return None when there is nothing.
    """


@hookspec
async def provision_tenant(session: AsyncSession, organization: Organization) -> None:
    """Create the plugin's starting data for a new workspace, or when a workspace enables it.

    Runs inside the provisioning transaction with the tenant bound: raise to abort it.
    """


@hookspec
async def purge_tenant_data(session: AsyncSession, organization: Organization) -> None:
    """Delete the plugin's data (and its stored files) for a workspace being removed."""


# --------------------------------------------------------------------------------------------
# Commands: called by a ``marcus`` command, never while serving.
# --------------------------------------------------------------------------------------------


@hookspec
async def demo_data(demo: DemoContext) -> Sequence[str]:
    """Add the plugin's sample data to a workspace for ``marcus demo``; return what was created.

    Called in dependency order (a plugin sees the demo data of those it depends on), only for
    plugins the workspace enabled, with ``demo.session`` bound to the workspace: commit what
    you create (service functions that commit are fine). ``demo.admin`` and ``demo.customer``
    are the demo accounts; ``demo.files(plugin)`` stores files. Must be idempotent: find the
    demo rows by a natural key and create only what is missing, returning one short line per
    thing created (``"service Strategy session"``) and nothing when all was there. Since 1.1.
    """
