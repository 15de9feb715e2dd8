"""Marcus kernel: the public API that plugins build on.

Parts: ``config`` (settings), ``db`` (engines, sessions, tenant-scoped models, RLS helpers),
``tenancy`` (organizations, resolution, manifests), ``plugins`` / ``hookspecs`` (the plugin
system), ``errors`` (domain errors rendered as problem details), ``deps`` (FastAPI
dependencies), ``rbac`` (authorization: ``require``, ``Grant``), ``storage`` (files:
``TenantFiles``, signed URLs, upload limits, images), ``app`` (``create_app``) and ``cli``. Plugins
import only from here (and ``marcus.testing`` in their tests).

``auth_service``, ``users_service``, ``notifications_service``, ``dashboard_service`` and
``settings_service`` (with their ``*_schemas``) are the functions the kernel's ``/api/v1`` routes
call, for plugins that serve another API over the same rules (``compat``); ``AuthCallDep`` gives
them the sign-in, code and password-reset flows with the kernel's rate limits already applied.
"""

from marcus.auth import schemas as auth_schemas
from marcus.auth import service as auth_service
from marcus.auth.calls import AuthCall, AuthCallDep
from marcus.auth.deps import CurrentPrincipal, OptionalPrincipal
from marcus.auth.models import User
from marcus.auth.principal import Principal
from marcus.dashboard import service as dashboard_service
from marcus.db.base import Base, TenantScoped, new_id
from marcus.db.engine import fetch_dicts, psycopg_connection, psycopg_sql
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
from marcus.demo import DemoContext
from marcus.deps import CurrentTenant, KernelDep, SessionDep
from marcus.errors import Conflict, Forbidden, Invalid, MarcusError, NotFound, Unauthorized, Unavailable
from marcus.events import Event, EventContext, Notice, publish
from marcus.events.outbox import OutboxEvent
from marcus.hookspecs import PLUGIN_API_VERSION, hookimpl
from marcus.kernel import Kernel
from marcus.mail.service import send_mail
from marcus.notifications import schemas as notifications_schemas
from marcus.notifications import service as notifications_service
from marcus.pagination import Page, PageQuery, paginate
from marcus.pdf import PdfBrand, PdfColumn, pdf_brand, render_table_pdf, render_table_pdf_async
from marcus.portal import (
    FormErrors,
    PageDep,
    PageState,
    SignedInDep,
    Visitor,
    VisitorDep,
    chosen_files,
    flash,
    form_values,
    page_require,
    parse_form,
    redirect,
    render,
)
from marcus.ratelimit import RateLimiterDep, client_ip
from marcus.rbac import Grant, require, roles_of
from marcus.realtime import role_room, tenant_room, user_room
from marcus.realtime.push import after_commit, push_after_commit, push_to_pages
from marcus.settings import WorkspaceSettings, workspace_settings
from marcus.settings import schemas as settings_schemas
from marcus.settings import service as settings_service
from marcus.storage import (
    Download,
    SignedUrl,
    Storage,
    StoredFile,
    TenantFiles,
    UploadLimits,
    UploadRoute,
    image_response,
    image_responses,
    key_created_at,
    open_image,
    save_image,
    session_storage,
    tenant_files,
)
from marcus.tenancy.models import Organization
from marcus.tenancy.resolver import Tenant
from marcus.users import schemas as users_schemas
from marcus.users import service as users_service

__all__ = [
    "PLUGIN_API_VERSION",
    "AuthCall",
    "AuthCallDep",
    "Base",
    "Conflict",
    "CurrentPrincipal",
    "CurrentTenant",
    "DashboardWidget",
    "DemoContext",
    "Download",
    "Event",
    "EventContext",
    "EventHandler",
    "Forbidden",
    "FormErrors",
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
    "Organization",
    "OutboxEvent",
    "Page",
    "PageDep",
    "PageQuery",
    "PageSet",
    "PageState",
    "PdfBrand",
    "PdfColumn",
    "Permission",
    "PluginManifest",
    "Principal",
    "RateLimiterDep",
    "SessionDep",
    "SignedInDep",
    "SignedUrl",
    "Storage",
    "StoredFile",
    "Tenant",
    "TenantFiles",
    "TenantScoped",
    "Unauthorized",
    "Unavailable",
    "UploadLimits",
    "UploadRoute",
    "User",
    "Visitor",
    "VisitorDep",
    "WorkspaceSettings",
    "after_commit",
    "auth_schemas",
    "auth_service",
    "chosen_files",
    "client_ip",
    "create_tenant_table",
    "dashboard_service",
    "enable_tenant_rls",
    "fetch_dicts",
    "flash",
    "form_values",
    "hookimpl",
    "image_response",
    "image_responses",
    "key_created_at",
    "new_id",
    "notifications_schemas",
    "notifications_service",
    "open_image",
    "page_require",
    "paginate",
    "parse_form",
    "pdf_brand",
    "psycopg_connection",
    "psycopg_sql",
    "publish",
    "push_after_commit",
    "push_to_pages",
    "redirect",
    "render",
    "render_table_pdf",
    "render_table_pdf_async",
    "require",
    "role_room",
    "roles_of",
    "save_image",
    "send_mail",
    "session_storage",
    "settings_schemas",
    "settings_service",
    "tenant_files",
    "tenant_fk",
    "tenant_room",
    "user_room",
    "users_schemas",
    "users_service",
    "workspace_settings",
]
