"""The kernel's per-app state: settings, database, plugins, tenant resolver, Socket.IO server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marcus.config import Settings
from marcus.db.engine import Database
from marcus.events.bus import EventBus
from marcus.plugins import PluginRegistry
from marcus.tenancy.resolver import TenantResolver


@dataclass
class Kernel:
    """Everything ``create_app`` built; reachable from a request as ``request.app.state.kernel``."""

    settings: Settings
    admin_url: str
    db: Database
    plugins: PluginRegistry
    tenants: TenantResolver
    sio: Any
    events: EventBus = field(default_factory=EventBus)
