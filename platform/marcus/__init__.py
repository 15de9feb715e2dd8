"""Marcus kernel: the public API that plugins build on.

Parts: ``config`` (settings), ``db`` (engines, sessions, tenant-scoped models, RLS helpers),
``tenancy`` (organizations, resolution, manifests), ``plugins`` / ``hookspecs`` (the plugin
system), ``errors`` (domain errors rendered as problem details), ``deps`` (FastAPI
dependencies), ``rbac`` (authorization: ``require``, ``Grant``), ``app`` (``create_app``) and
``cli``. Plugins import only from here (and ``marcus.testing`` in their tests).
"""

from marcus.auth.deps import CurrentPrincipal, OptionalPrincipal
from marcus.auth.principal import Principal
from marcus.db.base import Base, TenantScoped, new_id
from marcus.db.rls import create_tenant_table, enable_tenant_rls, tenant_fk
from marcus.declarations import (
    DashboardWidget,
    EventHandler,
    Job,
    MenuEntry,
    MigrationSource,
    PageSet,
    Permission,
    PluginManifest,
)
from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.errors import Conflict, Forbidden, Invalid, MarcusError, NotFound, Unauthorized, Unavailable
from marcus.events import Event, EventContext, Notice, publish
from marcus.hookspecs import PLUGIN_API_VERSION, hookimpl
from marcus.kernel import Kernel
from marcus.mail.service import send_mail
from marcus.pagination import Page, PageQuery, paginate
from marcus.rbac import Grant, require
from marcus.tenancy.models import Organization
from marcus.tenancy.resolver import Tenant

__all__ = [
    "Base",
    "Conflict",
    "CurrentPrincipal",
    "CurrentTenant",
    "DashboardWidget",
    "Event",
    "EventContext",
    "EventHandler",
    "Forbidden",
    "Grant",
    "Invalid",
    "Job",
    "Kernel",
    "KernelDep",
    "MarcusError",
    "MenuEntry",
    "MigrationSource",
    "NotFound",
    "Notice",
    "OptionalPrincipal",
    "PLUGIN_API_VERSION",
    "Organization",
    "Page",
    "PageQuery",
    "PageSet",
    "Permission",
    "PluginManifest",
    "Principal",
    "SessionDep",
    "Tenant",
    "TenantScoped",
    "Unauthorized",
    "Unavailable",
    "create_tenant_table",
    "enable_tenant_rls",
    "hookimpl",
    "new_id",
    "paginate",
    "publish",
    "require",
    "send_mail",
    "tenant_fk",
]
