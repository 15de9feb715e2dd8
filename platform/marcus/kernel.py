"""The kernel's per-app state: settings, database, plugins, tenant resolver, Socket.IO server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from marcus.config import Settings
from marcus.db.engine import Database
from marcus.events.bus import EventBus
from marcus.plugins import PluginRegistry
from marcus.tenancy.resolver import TenantResolver

if TYPE_CHECKING:
    from marcus.mail.sender import MailSender
    from marcus.ratelimit import RateLimiter
    from marcus.rbac.enforcer import PolicyEnforcer
    from marcus.storage import Storage


@dataclass
class Kernel:
    """Everything ``create_app`` built; reachable from a request as ``request.app.state.kernel``."""

    settings: Settings
    admin_url: str
    db: Database
    plugins: PluginRegistry
    tenants: TenantResolver
    sio: Any
    # Set by create_app right after construction (not an __init__ argument: no field-order pitfalls).
    rbac: PolicyEnforcer = field(init=False, repr=False)
    events: EventBus = field(default_factory=EventBus)
    hub: Any = None
    limiter: RateLimiter = field(init=False, repr=False)
    mail: MailSender = field(init=False, repr=False)
    storage: Storage = field(init=False, repr=False)
