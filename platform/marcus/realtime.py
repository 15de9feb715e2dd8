"""Socket.IO plumbing shared by plugin namespaces: per-tenant enablement at connect time."""

from __future__ import annotations

from typing import Any

import socketio

from marcus.tenancy.resolver import TenantNotFound, TenantResolver


def gate_namespace(namespace: Any, plugin: str, resolver: TenantResolver) -> Any:
    """Refuse connections to ``namespace`` from tenants that have not enabled ``plugin``.

    The tenant comes from the handshake's Host / X-Tenant like an HTTP request's; it is saved
    in the Socket.IO session as ``tenant`` for the namespace's handlers.
    """
    original = namespace.trigger_event

    async def trigger_event(event: str, *args: Any) -> Any:
        if event == "connect":
            sid, environ = args[0], args[1]
            try:
                tenant = await resolver.resolve(environ.get("HTTP_HOST"), environ.get("HTTP_X_TENANT"))
            except TenantNotFound as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.detail) from exc
            if not tenant.has_plugin(plugin):
                raise socketio.exceptions.ConnectionRefusedError(f"'{plugin}' is not enabled for this workspace")
            await namespace.save_session(sid, {"tenant": tenant})
        return await original(event, *args)

    namespace.trigger_event = trigger_event
    return namespace
