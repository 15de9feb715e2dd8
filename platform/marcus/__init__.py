"""Marcus kernel: the public API that plugins build on.

Parts: ``config`` (settings), ``db`` (engines, sessions, tenant-scoped models, RLS helpers),
``tenancy`` (organizations, resolution, manifests), ``plugins`` / ``hookspecs`` (the plugin
system), ``errors`` (domain errors rendered as problem details), ``deps`` (FastAPI
dependencies), ``rbac`` (authorization: ``require``, ``Grant``), ``app`` (``create_app``) and
``cli``. Plugins import only from here.
"""

from marcus.db.base import Base, TenantScoped, new_id
from marcus.db.rls import create_tenant_table, enable_tenant_rls, tenant_fk
from marcus.declarations import (
    DashboardWidget,
    EventHandler,
    Job,
    MigrationSource,
    PageSet,
    Permission,
    PluginManifest,
)
from marcus.deps import CurrentTenant, SessionDep
from marcus.errors import Conflict, Forbidden, Invalid, MarcusError, NotFound, Unauthorized
from marcus.hookspecs import hookimpl
from marcus.rbac import Grant, require
from marcus.tenancy.models import Organization

__all__ = [
    "Base",
    "Conflict",
    "CurrentTenant",
    "DashboardWidget",
    "EventHandler",
    "Forbidden",
    "Grant",
    "Invalid",
    "Job",
    "MarcusError",
    "MigrationSource",
    "NotFound",
    "Organization",
    "PageSet",
    "Permission",
    "PluginManifest",
    "SessionDep",
    "TenantScoped",
    "Unauthorized",
    "create_tenant_table",
    "enable_tenant_rls",
    "hookimpl",
    "new_id",
    "require",
    "tenant_fk",
]
