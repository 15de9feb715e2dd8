"""What plugins declare to the kernel: frozen, keyword-only records validated at startup.

Registration hooks return these; the kernel checks names (namespaced by plugin, no
duplicates) and refuses to start with a message naming the plugin and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

Scope = Literal["any", "own"]
ROLE_TEMPLATES = ("owner", "admin", "staff", "customer")
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
PERMISSION_NAME = re.compile(
    r"^(?P<plugin>[a-z][a-z0-9_]*)\.(?P<resource>[a-z][a-z0-9_]*):(?P<action>[a-z][a-z0-9_]*)$"
)


@dataclass(frozen=True, kw_only=True)
class PluginManifest:
    """A plugin's identity, read from the module-level ``manifest`` of its ``plugin.py``.

    ``depends_on`` names plugins that must load first (and that this one may import);
    ``settings_model`` validates the plugin's per-tenant settings in ``organization_plugins``;
    ``requires_kernel`` is a version specifier on the kernel's plugin API
    (``marcus.PLUGIN_API_VERSION``), e.g. ``">=1.0,<2"``, checked at startup.
    """

    name: str
    version: str
    description: str = ""
    depends_on: tuple[str, ...] = ()
    settings_model: type[BaseModel] | None = None
    requires_kernel: str | None = None


@dataclass(frozen=True, kw_only=True)
class Permission:
    """``<plugin>.<resource>:<action>`` with the scope each role template gets by default.

    ``grants={"customer": "own", "staff": "any"}`` lets customers act on their own rows
    and staff on every row of their tenant; owner and admin get ``any`` unless listed.
    """

    name: str
    description: str
    grants: Mapping[str, Scope] = field(default_factory=dict)

    @property
    def plugin(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True, kw_only=True)
class MigrationSource:
    """A plugin's Alembic revisions: a ``versions`` folder on its own branch label."""

    path: Path
    branch: str


@dataclass(frozen=True, kw_only=True)
class EventHandler:
    """Run ``await handler(event, context)`` for events named ``event`` (``*`` for all).

    ``context`` is a ``marcus.EventContext``: event id, tenant, actor and a tenant session.

    ``same_transaction=True`` runs it inside the publisher's transaction; otherwise the
    outbox relay runs it after commit, at least once, idempotent by event id.
    """

    event: str
    handler: Callable[..., Awaitable[None]]
    same_transaction: bool = False


@dataclass(frozen=True, kw_only=True)
class DashboardWidget:
    """A named block on the tenant dashboard; ``loader(session, tenant, grant)`` returns its data.

    The data is a flat mapping of figures (``{"appointments": 3}``) merged into the dashboard's
    ``stats``; ``grant.scope == "own"`` means a customer, who must see only their own figures.
    """

    name: str
    title: str
    loader: Callable[..., Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, kw_only=True)
class Job:
    """Scheduled work: ``await run(session, tenant)`` every ``every_seconds`` for each workspace
    that enabled the plugin, in a tenant transaction, by one worker at a time (several workers
    never run the same job for the same workspace at once). A failure is logged and recorded;
    the job runs again at its next due time."""

    name: str
    every_seconds: int
    run: Callable[..., Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class MenuEntry:
    """A link in the portal navigation, shown to holders of ``permission`` (everyone if None)."""

    label: str
    path: str
    permission: str | None = None


@dataclass(frozen=True, kw_only=True)
class PageSet:
    """A plugin's portal pages: a router of HTML routes, its templates folder and menu entries."""

    router: Any
    templates: Path | None = None
    menu: tuple[MenuEntry, ...] = ()
